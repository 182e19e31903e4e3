package io.soma.streams.edge.query;

import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.topologies.runtime.Settings;

import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/**
 * The secret this instance presents to the other instances' peer listeners, and those its own listener accepts:
 * the same one, and during a rotation another ({@code edge.peer.secret.accepted}). With one secret per listener, the
 * instances of a rolling update refused each other's store queries until the last one had rolled; with two, a
 * rotation is three rolls: accept the new one, present it while accepting the old, drop the old
 * (docs/runbooks/security.md).
 */
public record PeerCredentials(String presented, List<String> accepted) {
    static final int MIN_LENGTH = 32;

    public PeerCredentials {
        accepted = List.copyOf(accepted);
        if (!accepted.contains(presented)) {
            throw new IllegalArgumentException("a listener must accept the secret its instance presents");
        }
    }

    /**
     * From {@code edge.peer.secret} and {@code edge.peer.secret.accepted}. A deployment sets the first for all its
     * instances; only the embedded demo, a single instance by design, may go without, and gets a random one.
     *
     * @throws Settings.ConfigException when a deployment sets none, or a secret is shorter than 32 characters
     */
    public static PeerCredentials from(SomaConfig config) {
        Settings settings = config.settings();
        String secret = settings.stringOrNull("edge.peer.secret");
        if (secret == null) {
            if (!config.embeddedStack()) {
                throw new Settings.ConfigException("edge.peer.secret (env " + Settings.envName("edge.peer.secret")
                        + ") is required: the secret every instance presents to the others' peer listener");
            }
            return random();
        }
        String also = settings.stringOrNull("edge.peer.secret.accepted");
        requireLength("edge.peer.secret", secret);
        if (also == null || also.equals(secret)) {
            return new PeerCredentials(secret, List.of(secret));
        }
        requireLength("edge.peer.secret.accepted", also);
        return new PeerCredentials(secret, List.of(secret, also));
    }

    /** Without the secrets: a record's own would print them wherever it is logged. */
    @Override
    public String toString() {
        return "PeerCredentials[accepted=" + accepted.size() + " secrets]";
    }

    /** A random secret, presented and accepted: for one instance that no other asks. */
    public static PeerCredentials random() {
        byte[] random = new byte[MIN_LENGTH];
        new SecureRandom().nextBytes(random);
        String secret = Base64.getUrlEncoder().withoutPadding().encodeToString(random);
        return new PeerCredentials(secret, List.of(secret));
    }

    private static void requireLength(String setting, String secret) {
        if (secret.length() < MIN_LENGTH) {
            throw new Settings.ConfigException(setting + " must be at least " + MIN_LENGTH
                    + " characters of random text");
        }
    }
}
