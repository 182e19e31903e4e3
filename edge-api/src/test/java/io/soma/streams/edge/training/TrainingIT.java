package io.soma.streams.edge.training;

import com.fasterxml.jackson.databind.JsonNode;
import io.soma.streams.avro.ConversationEvent;
import io.soma.streams.avro.TrainingAudit;
import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.auth.Capability;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.stores.redis.TrainingLockMirror;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.CommittedRecords;
import io.soma.streams.topologies.runtime.EventNames;
import io.soma.streams.topologies.training.TrainingRules;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import redis.clients.jedis.JedisPooled;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** Training mode through the edge, the real broker, the training app, Redis and PostgreSQL. */
class TrainingIT {
    private static EdgeFixture edge;
    private static JedisPooled redis;

    @BeforeAll
    static void start() {
        edge = new EdgeFixture(Map.of("training.expiry.check", "PT0.2S", "constitution.trusted.keys", "example",
                "policy.load.examples", "true")).awaitReady();
        redis = edge.redis();
    }

    @AfterAll
    static void stop() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    void shouldGrantExactlyOneOfTwentyConcurrentEnables() throws Exception {
        String tenant = EdgeFixture.tenants("race", 1).get(0);
        String admin = edge.adminToken();
        ExecutorService pool = Executors.newFixedThreadPool(20);
        List<Integer> statuses = new ArrayList<>();
        try {
            List<Future<Integer>> answers = new ArrayList<>();
            for (int i = 0; i < 20; i++) {
                Callable<Integer> enable = () -> edge.post("/v1/training/enable", admin,
                        EdgeFixture.json(Map.of("tenant", tenant, "reason", "race"))).statusCode();
                answers.add(pool.submit(enable));
            }
            for (Future<Integer> f : answers) {
                statuses.add(f.get(EdgeFixture.AWAIT_TIMEOUT.toSeconds(), TimeUnit.SECONDS));
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(statuses).filteredOn(s -> s == 200).hasSize(1);
        assertThat(statuses).filteredOn(s -> s == 409).hasSize(19);

        List<TrainingAudit> audits = auditsOf(tenant, 20);
        assertThat(audits).hasSize(20);
        assertThat(audits).filteredOn(a -> a.getAction().equals("training.enabled")).hasSize(1);
        assertThat(audits).filteredOn(a -> a.getAction().equals("training.rejected")).hasSize(19);
    }

    @Test
    void shouldLetOnlyTheHolderOrAnAdminDisable() throws Exception {
        String tenant = EdgeFixture.tenants("holder", 1).get(0);
        String carol = edge.tokenFor(tenant, "carol", Set.of(Capability.CONVERSATION));
        String mallory = edge.tokenFor(tenant, "mallory", Set.of(Capability.CONVERSATION));
        // an admin turns training mode on for carol, who holds the lock without being an admin
        HttpResponse<String> enabled = edge.post("/v1/training/enable", edge.adminToken(),
                EdgeFixture.json(Map.of("tenant", tenant, "user", "carol", "reason", "fine-tune")));
        assertThat(enabled.statusCode()).as(enabled.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(enabled).get("locked_by").asText()).isEqualTo("carol");

        HttpResponse<String> byMallory = edge.post("/v1/training/disable", mallory,
                EdgeFixture.json(Map.of("tenant", tenant)));
        assertThat(byMallory.statusCode()).as(byMallory.body()).isEqualTo(403);

        // a disable takes no lifetime: one it carries is not checked
        HttpResponse<String> byCarol = edge.post("/v1/training/disable", carol, EdgeFixture.json(Map.of("tenant", tenant,
                "ttl_seconds", 0)));
        assertThat(byCarol.statusCode()).as(byCarol.body()).isEqualTo(200);
        assertThat(EdgeFixture.json(byCarol).get("enabled").asBoolean()).isFalse();

        List<TrainingAudit> audits = auditsOf(tenant, 3);
        TrainingAudit disabled = audits.stream()
                .filter(a -> a.getAction().equals("training.disabled")).findFirst().orElseThrow();
        assertThat(disabled.getDetails().getPreviousLock().getLockedBy()).isEqualTo("carol");
        assertThat(disabled.getDetails().getPreviousLock().getLockedByTenant()).isEqualTo(tenant);
        // the enable acted as carol, and records the platform operator who sent it
        TrainingAudit enable = audits.get(0);
        assertThat(enable.getUser()).isEqualTo("carol");
        assertThat(enable.getUserTenant()).isEqualTo(tenant);
        assertThat(enable.getCaller()).isEqualTo("admin");
        assertThat(enable.getCallerTenant()).isNotEqualTo(tenant);

        HttpResponse<String> again = edge.post("/v1/training/disable", carol, EdgeFixture.json(Map.of("tenant", tenant)));
        assertThat(again.statusCode()).isEqualTo(404);
    }

    /** Users are named per tenant: the tenant's own "admin" is not the platform operator "admin" holding its lock. */
    @Test
    void shouldNotLetATenantsUserReleaseAnotherTenantsHolderOfTheSameName() {
        String tenant = EdgeFixture.tenants("namesake", 1).get(0);
        String operator = edge.adminToken();
        String namesake = edge.tokenFor(tenant, "admin", Set.of(Capability.CONVERSATION));
        HttpResponse<String> enabled = edge.post("/v1/training/enable", operator,
                EdgeFixture.json(Map.of("tenant", tenant, "reason", "evaluation")));
        assertThat(enabled.statusCode()).as(enabled.body()).isEqualTo(200);
        JsonNode lock = EdgeFixture.json(enabled);
        assertThat(lock.get("locked_by").asText()).isEqualTo("admin");
        String operatorTenant = lock.get("locked_by_tenant").asText();
        assertThat(operatorTenant).isNotEqualTo(tenant);

        HttpResponse<String> disable = edge.post("/v1/training/disable", namesake,
                EdgeFixture.json(Map.of("tenant", tenant)));
        HttpResponse<String> extend = edge.post("/v1/training/extend", namesake,
                EdgeFixture.json(Map.of("tenant", tenant, "ttl_seconds", 3600)));

        assertThat(disable.statusCode()).as(disable.body()).isEqualTo(403);
        assertThat(EdgeFixture.json(disable).get("message").asText()).contains("admin of tenant " + operatorTenant);
        assertThat(extend.statusCode()).as(extend.body()).isEqualTo(403);
        HttpResponse<String> status = edge.get("/v1/training/status/" + tenant, operator);
        assertThat(EdgeFixture.json(status).get("expires_at").asText()).isEqualTo(lock.get("expires_at").asText());
        String key = edge.redisKey(TrainingLockMirror.KEY_PREFIX + tenant);
        String mirrored = Await.value(key + " written", EdgeFixture.AWAIT_TIMEOUT, () -> redis.get(key), v -> true);
        assertThat(mirrored).contains("\"locked_by_tenant\":\"" + operatorTenant + "\"");
        assertThat(edge.post("/v1/training/disable", operator, EdgeFixture.json(Map.of("tenant", tenant)))
                .statusCode()).isEqualTo(200);
    }

    @Test
    void shouldExpireAShortLockWithAnAuditRecordAndClearRedis() throws Exception {
        String tenant = EdgeFixture.tenants("expiry", 1).get(0);
        // long enough for the mirror to write the lock before it expires, even on a loaded machine
        HttpResponse<String> enabled = edge.post("/v1/training/enable", edge.adminToken(),
                EdgeFixture.json(Map.of("tenant", tenant, "reason", "short", "ttl_seconds", 25)));
        assertThat(enabled.statusCode()).as(enabled.body()).isEqualTo(200);
        String key = edge.redisKey(TrainingLockMirror.KEY_PREFIX + tenant);
        // one read: the key may expire between an EXISTS and a GET
        String mirrored = Await.value(key + " written", EdgeFixture.AWAIT_TIMEOUT, () -> redis.get(key), v -> true);
        assertThat(mirrored).contains("\"enabled\":true");

        List<TrainingAudit> audits = auditsOf(tenant, 2);
        assertThat(audits).extracting(TrainingAudit::getAction).containsExactly("training.enabled", "training.expired");
        Await.until(key + " gone", EdgeFixture.AWAIT_TIMEOUT, () -> !redis.exists(key));

        HttpResponse<String> status = edge.get("/v1/training/status/" + tenant, edge.adminToken());
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(EdgeFixture.json(status).get("enabled").asBoolean()).isFalse();
    }

    @Test
    void shouldRewarmAndCorrectTheRedisMirrorWithoutACommand() throws Exception {
        String tenant = EdgeFixture.tenants("flush", 1).get(0);
        assertThat(edge.post("/v1/training/enable", edge.adminToken(),
                EdgeFixture.json(Map.of("tenant", tenant, "reason", "flush"))).statusCode()).isEqualTo(200);
        String key = edge.redisKey(TrainingLockMirror.KEY_PREFIX + tenant);
        Await.until(key + " written", EdgeFixture.AWAIT_TIMEOUT, () -> redis.exists(key));
        // what a FLUSHALL or a Redis restart does to this key, without disturbing other tests' keys
        redis.del(key);
        String rewarmed = Await.value(key + " written again", EdgeFixture.AWAIT_TIMEOUT, () -> redis.get(key),
                v -> true);
        assertThat(rewarmed).contains("\"locked_by\":\"admin\"");
        assertThat(redis.pttl(key)).isPositive();

        HttpResponse<String> status = edge.get("/v1/training/status/" + tenant, edge.adminToken());
        assertThat(EdgeFixture.json(status).get("enabled").asBoolean()).isTrue();

        // a failover to a replica that missed a change: another value, then a deleted key that comes back
        redis.set(key, "{\"locked_by\":\"someone-else\"}");
        Await.until(key + " corrected", EdgeFixture.AWAIT_TIMEOUT, () -> rewarmed.equals(redis.get(key)));
        assertThat(edge.post("/v1/training/disable", edge.adminToken(), EdgeFixture.json(Map.of("tenant", tenant)))
                .statusCode()).isEqualTo(200);
        Await.until(key + " deleted", EdgeFixture.AWAIT_TIMEOUT, () -> !redis.exists(key));
        redis.set(key, rewarmed);
        Await.until(key + " deleted again", EdgeFixture.AWAIT_TIMEOUT, () -> !redis.exists(key));
    }

    @Test
    void shouldCaptureAllowedEventsOnlyWhileInTrainingModeAndRedactedAsDecided() throws Exception {
        String tenant = EdgeFixture.tenants("capture", 1).get(0);
        String session = "capture-" + System.nanoTime();
        String before = stepEventId(tenant, session, "before training mode");
        assertThat(edge.post("/v1/training/enable", edge.adminToken(),
                EdgeFixture.json(Map.of("tenant", tenant, "reason", "capture"))).statusCode()).isEqualTo(200);
        Map<String, String> captured = new HashMap<>();
        String during;
        try (KafkaConsumer<String, ConversationEvent> captures = captureReader()) {
            // the policy app sees training.state through a global table: step until a step is captured
            during = Await.value("a step in training mode captured", EdgeFixture.AWAIT_TIMEOUT, () -> {
                // the example constitution redacts e-mail addresses: the step is allowed, redacted
                String id = stepEventId(tenant, session, "while in training mode, write to jane.roe@example.com");
                captured.putAll(readFor(captures, session, Duration.ofSeconds(2)));
                return captured.containsKey(id) ? id : null;
            }, id -> id != null);
        }
        assertThat(captured.get(during)).isEqualTo("while in training mode, write to [REDACTED:global-pii-email]");
        // the session's steps share a partition: had the one before training mode been captured, it came first
        assertThat(captured).doesNotContainKey(before);
    }

    @Test
    void shouldReadTheArchivedTrailOfEnableAndDisablePageByPage() throws Exception {
        List<String> tenants = EdgeFixture.tenants("trail", 2);
        String tenant = tenants.get(0);
        String admin = edge.tokenFor(tenant, "dana", Capability.tenantAdmin());
        assertThat(edge.post("/v1/training/enable", admin,
                EdgeFixture.json(Map.of("tenant", tenant, "reason", "trail check"))).statusCode()).isEqualTo(200);
        assertThat(edge.post("/v1/training/disable", admin,
                EdgeFixture.json(Map.of("tenant", tenant))).statusCode()).isEqualTo(200);
        String trail = "/v1/audit/training?limit=1&tenant=" + tenant;

        // one row a page: the second page is reached by the first one's cursor
        JsonNode first = edge.awaitGet("the archived trail of " + tenant, trail, admin,
                page -> !page.get("next_cursor").isNull());
        JsonNode enabled = first.get("audit").get(0);
        JsonNode second = EdgeFixture.json(edge.get(trail + "&cursor=" + first.get("next_cursor").asText(), admin));
        assertThat(second.get("next_cursor").isNull()).isTrue();
        JsonNode disabled = second.get("audit").get(0);

        assertThat(enabled.get("action").asText()).isEqualTo("training.enabled");
        assertThat(enabled.get("user").asText()).isEqualTo("dana");
        assertThat(enabled.get("tenant").asText()).isEqualTo(tenant);
        assertThat(enabled.get("details").get("reason").asText()).isEqualTo("trail check");
        assertThat(enabled.get("details").get("current_lock").get("locked_by").asText()).isEqualTo("dana");
        assertThat(enabled.get("details").get("current_lock").get("locked_by_tenant").asText()).isEqualTo(tenant);
        assertThat(enabled.get("details").get("caller").asText()).isEqualTo("dana");
        assertThat(enabled.get("details").get("caller_tenant").asText()).isEqualTo(tenant);
        assertThat(enabled.get("source").get("topic").asText()).isEqualTo(Topics.TRAINING_AUDIT.name());
        assertThat(disabled.get("action").asText()).isEqualTo("training.disabled");
        assertThat(disabled.get("details").get("previous_lock").get("reason").asText()).isEqualTo("trail check");
        assertThat(disabled.get("details").get("current_lock").isNull()).isTrue();
        assertThat(Instant.parse(disabled.get("timestamp").asText()))
                .isAfterOrEqualTo(Instant.parse(enabled.get("timestamp").asText()));

        String otherTenant = edge.tokenFor(tenants.get(1), "eve", Capability.tenantAdmin());
        assertThat(edge.get(trail, otherTenant).statusCode()).isEqualTo(403);
        // a time PostgreSQL cannot hold: a bad request, not "archive unavailable"
        assertThat(edge.get(trail + "&from=-300000-01-01T00:00:00Z", admin).statusCode()).isEqualTo(400);
        HttpResponse<String> badCursor = edge.get(trail + "&cursor=not-a-cursor", admin);
        assertThat(badCursor.statusCode()).as(badCursor.body()).isEqualTo(400);
        assertThat(EdgeFixture.json(badCursor).get("error").isTextual()).isTrue();
    }

    private static String stepEventId(String tenant, String session, String content) {
        HttpResponse<String> r = edge.post("/v1/conversation/step", edge.adminToken(),
                EdgeFixture.json(Map.of("session_id", session, "tenant", tenant, "content", content)));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return EdgeFixture.json(r).get("event_id").asText();
    }

    /** A read_committed reader of training.capture from its start. */
    private static KafkaConsumer<String, ConversationEvent> captureReader() {
        KafkaConsumer<String, ConversationEvent> consumer = new KafkaConsumer<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, edge.config().bootstrapServers(),
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.GROUP_ID_CONFIG, "capture-it-" + UUID.randomUUID(),
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest"),
                Topics.TRAINING_CAPTURE.keySerde().deserializer(),
                Topics.TRAINING_CAPTURE.valueSerde(registry()).deserializer());
        consumer.subscribe(List.of(Topics.TRAINING_CAPTURE.name()));
        return consumer;
    }

    /** The text of {@code session}'s captured events by event id, as {@code captures} reads them within {@code time}. */
    private static Map<String, String> readFor(KafkaConsumer<String, ConversationEvent> captures, String session,
                                               Duration time) {
        Map<String, String> texts = new HashMap<>();
        long end = System.nanoTime() + time.toNanos();
        while (System.nanoTime() < end) {
            captures.poll(Duration.ofMillis(200)).forEach(r -> {
                if (session.equals(r.key())) {
                    texts.put(r.value().getEventId(), r.value().getContent());
                }
            });
        }
        return texts;
    }

    @Test
    void shouldLetTheHolderExtendALockButNotEnableItAgain() {
        String tenant = EdgeFixture.tenants("extend", 1).get(0);
        String carol = edge.tokenFor(tenant, "carol", Capability.tenantAdmin());
        assertThat(edge.post("/v1/training/extend", carol, EdgeFixture.json(Map.of("tenant", tenant,
                "ttl_seconds", 3600))).statusCode()).isEqualTo(404);
        HttpResponse<String> enabled = edge.post("/v1/training/enable", carol,
                EdgeFixture.json(Map.of("tenant", tenant, "reason", "short run", "ttl_seconds", 60)));
        assertThat(enabled.statusCode()).as(enabled.body()).isEqualTo(200);
        Instant firstExpiry = Instant.parse(EdgeFixture.json(enabled).get("expires_at").asText());
        assertThat(edge.post("/v1/training/enable", carol, EdgeFixture.json(Map.of("tenant", tenant,
                "ttl_seconds", 3600))).statusCode()).isEqualTo(409);

        HttpResponse<String> extended = edge.post("/v1/training/extend", carol,
                EdgeFixture.json(Map.of("tenant", tenant, "ttl_seconds", 3600)));

        assertThat(extended.statusCode()).as(extended.body()).isEqualTo(200);
        JsonNode lock = EdgeFixture.json(extended);
        assertThat(Instant.parse(lock.get("expires_at").asText())).isAfter(firstExpiry.plusSeconds(3000));
        assertThat(lock.get("locked_by").asText()).isEqualTo("carol");
        assertThat(lock.get("reason").asText()).isEqualTo("short run");
        String mallory = edge.tokenFor(tenant, "mallory", Set.of(Capability.CONVERSATION));
        assertThat(edge.post("/v1/training/extend", mallory, EdgeFixture.json(Map.of("tenant", tenant,
                "ttl_seconds", 3600))).statusCode()).isEqualTo(403);
        assertThat(auditsOf(tenant, 5)).extracting(TrainingAudit::getAction).containsExactly("training.rejected",
                "training.enabled", "training.rejected", "training.extended", "training.rejected");
    }

    @Test
    void shouldRefuseEnablingWithoutTheAdminCapability() throws Exception {
        String tenant = EdgeFixture.tenants("noadmin", 1).get(0);
        String bob = edge.tokenFor(tenant, "bob", Set.of(Capability.CONVERSATION));
        HttpResponse<String> r = edge.post("/v1/training/enable", bob, EdgeFixture.json(Map.of("tenant", tenant)));
        assertThat(r.statusCode()).isEqualTo(403);
        assertThat(EdgeFixture.json(r).get("error").asText()).isEqualTo("forbidden");
    }

    @Test
    void shouldRefuseAnOverlongReasonOrUserOrAnOutOfBoundsTtlNamingTheField() throws Exception {
        String tenant = EdgeFixture.tenants("long-reason", 1).get(0);
        String admin = edge.tokenFor(tenant, "admin", Capability.tenantAdmin());

        HttpResponse<String> reason = edge.post("/v1/training/enable", admin, EdgeFixture.json(Map.of("tenant", tenant,
                "reason", "r".repeat(TrainingRules.MAX_REASON_CHARS + 1))));
        HttpResponse<String> user = edge.post("/v1/training/enable", admin, EdgeFixture.json(Map.of("tenant", tenant,
                "user", "u".repeat(TrainingRules.MAX_USER_CHARS + 1))));

        assertThat(reason.statusCode()).as(reason.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(reason).get("details").get("field").asText()).isEqualTo("reason");
        assertThat(user.statusCode()).as(user.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(user).get("details").get("field").asText()).isEqualTo("user");
        for (long ttlSeconds : new long[] {0, -60, Duration.ofDays(8).toSeconds()}) {
            HttpResponse<String> ttl = edge.post("/v1/training/enable", admin, EdgeFixture.json(Map.of("tenant", tenant,
                    "ttl_seconds", ttlSeconds)));
            assertThat(ttl.statusCode()).as(ttl.body()).isEqualTo(422);
            assertThat(EdgeFixture.json(ttl).get("details").get("field").asText()).isEqualTo("ttl_seconds");
        }
        // a platform operator may name any tenant, but its audit record, keyed and filled by the name, must fit
        HttpResponse<String> longTenant = edge.post("/v1/training/enable", edge.adminToken(),
                EdgeFixture.json(Map.of("tenant", "t".repeat(EventNames.MAX_CHARS + 1))));
        assertThat(longTenant.statusCode()).as(longTenant.body()).isEqualTo(422);
        assertThat(EdgeFixture.json(longTenant).get("details").get("field").asText()).isEqualTo("tenant");
    }

    /** The committed audit records of {@code tenant} in log order, once there are {@code n} (more: duplicates). */
    private static List<TrainingAudit> auditsOf(String tenant, int n) {
        return CommittedRecords.await(edge.config().bootstrapServers(), Topics.TRAINING_AUDIT.name(),
                        Topics.TRAINING_AUDIT.keySerde().deserializer(),
                        Topics.TRAINING_AUDIT.valueSerde(registry()).deserializer(),
                        r -> tenant.equals(r.key()), n, CommittedRecords.DEFAULT_TIMEOUT)
                .stream().map(ConsumerRecord::value).toList();
    }

    private static SchemaRegistryClient registry() {
        return new SchemaRegistryClient(edge.config().schemaRegistryUrl());
    }
}
