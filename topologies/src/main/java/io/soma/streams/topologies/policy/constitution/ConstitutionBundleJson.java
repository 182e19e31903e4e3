package io.soma.streams.topologies.policy.constitution;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * The API's JSON form of a bundle: {@code {version, issued_at, document, hash, signature:{algorithm, value,
 * key_id}, tenant?}} with {@code document} as a JSON object and {@code issued_at} as ISO-8601 or epoch millis.
 * Reading only reshapes; {@link ConstitutionVerifier} decides.
 */
public final class ConstitutionBundleJson {
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private ConstitutionBundleJson() {
    }

    /**
     * Missing fields come back null, for the verifier to reject as malformed.
     *
     * @throws IllegalArgumentException when the text is not a JSON object (or has duplicate keys)
     */
    public static SignedBundle read(String json) {
        JsonNode root;
        try {
            root = CanonicalJson.parse(json);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("bundle is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IllegalArgumentException("bundle must be a JSON object");
        }
        JsonNode signature = root.path("signature");
        return new SignedBundle(
                text(root, "version"),
                issuedAt(root.path("issued_at")),
                root.has("document") ? CanonicalJson.write(root.get("document")) : null,
                text(root, "hash"),
                signature.isObject() ? new SignedBundle.Signature(text(signature, "algorithm"), text(signature, "value"),
                        text(signature, "key_id")) : null,
                text(root, "tenant"));
    }

    public static String write(SignedBundle bundle) throws JsonProcessingException {
        ObjectNode root = MAPPER.createObjectNode();
        root.put("version", bundle.version());
        root.put("issued_at", bundle.issuedAt().toString());
        if (bundle.tenant() != null) {
            root.put("tenant", bundle.tenant());
        }
        root.set("document", CanonicalJson.parse(bundle.documentJson()));
        root.put("hash", bundle.hash());
        if (bundle.signature() != null) {
            ObjectNode signature = root.putObject("signature");
            signature.put("algorithm", bundle.signature().algorithm());
            signature.put("value", bundle.signature().value());
            signature.put("key_id", bundle.signature().keyId());
        }
        return root.toPrettyString() + "\n";
    }

    private static String text(JsonNode node, String field) {
        return node.hasNonNull(field) ? node.get(field).asText() : null;
    }

    private static Instant issuedAt(JsonNode node) {
        if (node.isIntegralNumber()) {
            return Instant.ofEpochMilli(node.asLong());
        }
        try {
            return node.isTextual() ? Instant.parse(node.asText()) : null;
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
