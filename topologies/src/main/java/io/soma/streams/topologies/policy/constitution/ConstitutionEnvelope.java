package io.soma.streams.topologies.policy.constitution;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;

/**
 * What a constitution signature covers: the document together with its version, tenant scope and issue time, so a
 * signed document cannot be republished under another tenant, version or date. The signed bytes are the
 * {@link CanonicalJson} (UTF-8) of
 * <pre>{"document":{…},"format":"soma.constitution/2","issued_at":1767225600000,"tenant":"acme","version":"1.0.0"}</pre>
 * with {@code issued_at} in epoch milliseconds (what the Avro bundle stores) and {@code tenant} null for the global
 * constitution. {@code format} keeps these bytes from ever meaning anything else.
 */
public final class ConstitutionEnvelope {
    public static final String FORMAT = "soma.constitution/2";

    private ConstitutionEnvelope() {
    }

    /** @param document the parsed document; the bytes do not depend on how it was written */
    public static byte[] signedBytes(JsonNode document, String version, Instant issuedAt, String tenant) {
        ObjectNode envelope = JsonNodeFactory.instance.objectNode();
        envelope.set("document", document);
        envelope.put("format", FORMAT);
        envelope.put("issued_at", issuedAt.toEpochMilli());
        envelope.put("tenant", tenant);
        envelope.put("version", version);
        return CanonicalJson.bytes(envelope);
    }
}
