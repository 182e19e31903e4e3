package io.soma.streams.edge.config;

import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.schemas.RedactedUrl;
import org.apache.kafka.streams.StreamsConfig;

import java.nio.file.Path;
import java.util.Set;

/**
 * The process's typed configuration; {@link Settings} holds the raw layers.
 *
 * @param redisKeyPrefix {@code redis.key.prefix}: put before every Redis key the process uses, so that processes
 *                       sharing one Redis keep apart; empty by default, which leaves the documented keys that
 *                       gateways read
 */
public record SomaConfig(
        boolean embeddedStack,
        Path dataDir,
        int embeddedKafkaPort,
        int embeddedRegistryPort,
        String bootstrapServers,
        int topicPartitions,
        short topicReplicationFactor,
        String schemaRegistryUrl,
        String processingGuarantee,
        int standbyReplicas,
        int commitIntervalMs,
        int streamThreads,
        Path stateDir,
        String redisUrl,
        String redisKeyPrefix,
        String jdbcUrl,
        String postgresUser,
        String postgresPassword,
        int postgresPoolSize,
        String edgeHost,
        int edgePort,
        String advertisedAddress,
        boolean replayEnabled,
        Path datasetsDir,
        double replaySpeed,
        Settings settings) {

    /** Hosts a listener binds to on every interface: an address no other instance can reach this one at. */
    private static final Set<String> WILDCARD_HOSTS = Set.of("0.0.0.0", "::", "[::]", "0:0:0:0:0:0:0:0");

    public static SomaConfig from(Settings s) {
        Path dataDir = Path.of(s.string("stack.data.dir"));
        String stateDir = s.stringOrNull("streams.state.dir");
        String edgeHost = s.string("edge.host");
        int edgePort = s.integer("edge.port");
        String advertised = s.stringOrNull("edge.advertised.address");
        if (advertised == null && WILDCARD_HOSTS.contains(edgeHost) && !s.bool("stack.embedded")) {
            // advertised, every instance would take every key for its own, and its queries for other instances'
            // keys would wait and fail (the embedded demo is one instance: nobody asks it)
            throw new Settings.ConfigException("edge.advertised.address must be set when edge.host is " + edgeHost
                    + ": other instances reach this one's peer listener at that address, and " + edgeHost
                    + " names no host");
        }
        int replication = s.integer("topics.replication.factor");
        if (replication < 1 || replication > Short.MAX_VALUE) {
            throw new Settings.ConfigException("topics.replication.factor must be at least 1, got " + replication);
        }
        String guarantee = s.string("streams.processing.guarantee");
        if (!StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee)) {
            // what the apps write feeds audit, locks and budgets: a replay after a crash would repeat it
            throw new Settings.ConfigException("streams.processing.guarantee must be " + StreamsConfig.EXACTLY_ONCE_V2
                    + ", got " + guarantee);
        }
        if (s.duration("edge.shutdown.drain").isNegative()) {
            throw new Settings.ConfigException("edge.shutdown.drain must not be negative, got "
                    + s.duration("edge.shutdown.drain"));
        }
        double speed = s.decimal("replay.speed");
        if (!(speed > 0)) {
            throw new Settings.ConfigException("replay.speed must be positive, got " + speed);
        }
        return new SomaConfig(
                s.bool("stack.embedded"),
                dataDir,
                s.integer("stack.kafka.port"),
                s.integer("stack.registry.port"),
                s.string("kafka.bootstrap.servers"),
                s.integerAtLeast("topics.partitions", 1),
                (short) replication,
                s.string("schema.registry.url"),
                guarantee,
                s.integerAtLeast("streams.num.standby.replicas", 0),
                s.integerAtLeast("streams.commit.interval.ms", 0),
                s.integerAtLeast("streams.num.stream.threads", 1),
                stateDir == null ? dataDir.resolve("streams") : Path.of(stateDir),
                s.string("redis.url"),
                s.string("redis.key.prefix"),
                s.string("postgres.jdbc.url"),
                s.string("postgres.user"),
                s.string("postgres.password"),
                s.integerAtLeast("postgres.pool.size", 1),
                edgeHost,
                edgePort,
                advertised == null ? edgeHost + ":" + s.integer("edge.peer.port") : advertised,
                s.bool("replay.enabled"),
                Path.of(s.string("datasets.dir")),
                speed,
                s);
    }

    /** The same configuration pointed at a running stack (the embedded one once it is up). */
    public SomaConfig withStack(String bootstrap, String registryUrl) {
        return new SomaConfig(embeddedStack, dataDir, embeddedKafkaPort, embeddedRegistryPort, bootstrap,
                topicPartitions, topicReplicationFactor, registryUrl, processingGuarantee, standbyReplicas,
                commitIntervalMs, streamThreads, stateDir, redisUrl, redisKeyPrefix, jdbcUrl, postgresUser,
                postgresPassword, postgresPoolSize, edgeHost, edgePort, advertisedAddress, replayEnabled, datasetsDir,
                replaySpeed, settings);
    }

    /** Never prints a password, not even one inside a URL: configuration is logged at start. */
    @Override
    public String toString() {
        return "SomaConfig[embeddedStack=" + embeddedStack + ", dataDir=" + dataDir + ", bootstrapServers="
                + bootstrapServers + ", schemaRegistryUrl=" + RedactedUrl.of(schemaRegistryUrl) + ", processingGuarantee="
                + processingGuarantee + ", stateDir=" + stateDir + ", redisUrl=" + RedactedUrl.of(redisUrl) + ", redisKeyPrefix="
                + redisKeyPrefix + ", jdbcUrl=" + RedactedUrl.of(jdbcUrl) + ", postgresUser=" + postgresUser + ", edge=" + edgeHost
                + ":" + edgePort + ", advertisedAddress=" + advertisedAddress + ", replay=" + replayEnabled + " x"
                + replaySpeed + " from " + datasetsDir + "]";
    }
}
