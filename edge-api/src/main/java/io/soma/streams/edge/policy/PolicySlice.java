package io.soma.streams.edge.policy;

import io.prometheus.metrics.core.metrics.CounterWithCallback;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.soma.streams.avro.ConstitutionBundle;
import io.soma.streams.avro.RulePackReply;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.slice.Closer;
import io.soma.streams.edge.slice.Platform;
import io.soma.streams.edge.slice.RunningApp;
import io.soma.streams.edge.slice.Slice;
import io.soma.streams.edge.slice.Slices;
import io.soma.streams.schemas.Topics;
import io.soma.streams.stores.archive.ConstitutionHistoryQuery;
import io.soma.streams.stores.redis.ConstitutionHashMirror;
import io.soma.streams.topologies.policy.constitution.Constitution;
import io.soma.streams.topologies.policy.constitution.ConstitutionVerifier;
import io.soma.streams.topologies.policy.evaluation.EvaluationLimits;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import io.soma.streams.topologies.policy.ActiveConstitutionMetrics;
import io.soma.streams.topologies.policy.PolicyApp;
import io.soma.streams.topologies.policy.PolicyAvro;
import io.soma.streams.topologies.policy.PolicyMetrics;
import io.soma.streams.topologies.policy.rules.RulePack;
import io.soma.streams.topologies.policy.constitution.TrustedKey;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Governance: the policy app (signed constitutions, rule packs, a decision per conversation event), the edge's view
 * of the active policies for {@code /v1/evaluate}, the Redis mirror of constitution hashes, and the policy routes.
 */
public record PolicySlice(Closer closer, ActivePolicies policies, PolicyHandlers handlers) implements Slice {
    private static final Logger log = LoggerFactory.getLogger(PolicySlice.class);

    public static PolicySlice start(Platform platform, Slices started) {
        return Closer.starting(closer -> {
            Settings settings = platform.config().settings();
            PolicyApp.Config config = appConfig(settings, platform.metrics());
            ConstitutionVerifier verifier = config.verifier();
            if (settings.bool("policy.load.examples")) {
                loadExamplePolicy(platform.producer());
            }
            RunningApp app = platform.launch(PolicyApp.APPLICATION_ID, PolicyApp.build(config, platform.serdes()),
                    closer);
            platform.metrics().register(new ActiveConstitutionMetrics(app.streams()));
            // one set of limits for the stream and /v1/evaluate, so both decide alike
            ActivePolicies policies = new ActivePolicies(app.streams(), config);
            ConstitutionHashMirror mirror = closer.own(new ConstitutionHashMirror(
                    platform.config().bootstrapServers(), Topics.CONSTITUTION_ACTIVE.name(),
                    platform.serdes().value(Topics.CONSTITUTION_ACTIVE).deserializer(), platform.redis().jedis(),
                    platform.config().redisKeyPrefix(), Duration.ofSeconds(2)));
            CounterWithCallback.builder().name("constitution_mirror_redis_failures_total")
                    .help("Writes of constitution:* to Redis that failed (retried; Redis is only a mirror)")
                    .callback(cb -> cb.call(mirror.redisFailures())).register(platform.metrics());
            var rulePackReplies = platform.replies(Topics.POLICY_RULEPACK_REPLIES, RulePackReply::getRequestId,
                    closer);
            // written by the archive slice, wherever it runs
            ConstitutionHistoryQuery history = new ConstitutionHistoryQuery(platform.postgresRequests().dataSource(),
                    settings.string("archive.postgres.schema"));
            return new PolicySlice(closer, policies, new PolicyHandlers(policies, verifier, platform.producer(),
                    rulePackReplies, platform.replyTimeout(), history));
        });
    }

    /**
     * The hash of the constitution governing {@code tenant} now (its own, else the global one), which its tokens
     * carry; null until the policy app has one.
     */
    public String governingHash(String tenant) {
        try {
            ConstitutionBundle active = policies.constitutionFor(tenant);
            return active == null ? null : active.getHash();
        } catch (ApiException notReadyYet) {
            return null;
        }
    }

    /** The policy app's configuration from the settings: the replay drill rebuilds the app with the same one. */
    public static PolicyApp.Config appConfig(Settings settings, PrometheusRegistry metrics) {
        ConstitutionVerifier verifier = new ConstitutionVerifier(trustedKeys(settings),
                settings.bool("constitution.accept.document.only.signatures")
                        ? ConstitutionVerifier.DocumentOnlySignatures.ACCEPT
                        : ConstitutionVerifier.DocumentOnlySignatures.REFUSE);
        EvaluationLimits limits = new EvaluationLimits(settings.integer("policy.max.text.chars"),
                settings.integer("policy.evaluation.regex.reads"), settings.integer("policy.evaluation.matches"));
        return new PolicyApp.Config(verifier, new PolicyMetrics(metrics), limits);
    }

    /** {@code constitution.trusted.keys}: {@code keyId=public-key.pem,...}, or {@code example} for the demo key. */
    private static List<TrustedKey> trustedKeys(Settings settings) {
        List<TrustedKey> keys = new ArrayList<>();
        for (String entry : settings.string("constitution.trusted.keys").split(",")) {
            String item = entry.trim();
            if (item.isEmpty()) {
                continue;
            }
            if (item.equals("example")) {
                keys.add(ExamplePolicy.trustedKey());
                continue;
            }
            int eq = item.indexOf('=');
            if (eq <= 0) {
                throw new Settings.ConfigException(
                        "constitution.trusted.keys entries are keyId=path-to-public-key.pem, got '" + item + "'");
            }
            keys.add(TrustedKey.fromPemFile(item.substring(0, eq).trim(), Path.of(item.substring(eq + 1).trim())));
        }
        if (keys.isEmpty()) {
            log.warn("no constitution signing key is trusted (constitution.trusted.keys): every bundle will be refused");
        }
        return keys;
    }

    /** The demo's signed example constitution and example rule pack (tenant xstest), documented in docs/policy.md. */
    private static void loadExamplePolicy(Producer<String, SpecificRecord> producer) {
        try {
            producer.send(new ProducerRecord<>(Topics.CONSTITUTION_UPDATED.name(), Constitution.GLOBAL_SCOPE,
                    PolicyAvro.bundle(ExamplePolicy.bundle()))).get(30, TimeUnit.SECONDS);
            RulePack pack = ExamplePolicy.rulePack();
            producer.send(new ProducerRecord<>(Topics.POLICY_RULEPACKS.name(), pack.tenant(), PolicyAvro.rulePack(pack)))
                    .get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new IllegalStateException("cannot load the example policy: " + e.getMessage(), e);
        }
    }
}
