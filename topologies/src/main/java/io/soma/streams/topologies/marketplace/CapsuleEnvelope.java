package io.soma.streams.topologies.marketplace;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.soma.streams.topologies.policy.constitution.CanonicalJson;

/**
 * What a capsule attestation covers: the manifest together with the capsule id and the publisher, so a signed
 * manifest cannot be republished under another capsule or publisher. The signed bytes are the {@link CanonicalJson}
 * (UTF-8, keys sorted, the constitution's canonicalisation) of
 * <pre>{"capsule_id":"…","format":"soma.capsule/1","manifest":{…},"publisher":"…"}</pre>
 * and the capsule's digest is their SHA-256, always recomputed from the manifest received ({@link AttestationVerifier}).
 */
public final class CapsuleEnvelope {
    public static final String FORMAT = "soma.capsule/1";

    private CapsuleEnvelope() {
    }

    public static byte[] signedBytes(String capsuleId, String publisher, CapsuleManifest manifest) {
        ObjectNode envelope = JsonNodeFactory.instance.objectNode();
        envelope.put("capsule_id", capsuleId);
        envelope.put("format", FORMAT);
        envelope.set("manifest", manifest.toJson());
        envelope.put("publisher", publisher);
        return CanonicalJson.bytes(envelope);
    }
}
