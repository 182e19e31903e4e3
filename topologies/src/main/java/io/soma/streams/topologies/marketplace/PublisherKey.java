package io.soma.streams.topologies.marketplace;

import io.soma.streams.topologies.policy.constitution.TrustedKey;

import java.util.Objects;

/**
 * A key trusted to attest capsules of one publisher only: a publisher's key cannot vouch for another publisher's
 * capsule, which is what makes "a publisher never approves its own capsule" hold. Several keys of a publisher may be
 * trusted at once, for rotation.
 */
public record PublisherKey(String publisher, TrustedKey key) {
    public PublisherKey {
        Objects.requireNonNull(publisher, "publisher");
        Objects.requireNonNull(key, "key");
    }

    public String keyId() {
        return key.keyId();
    }
}
