package io.soma.streams.topologies.policy;

import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.marketplace.CapsuleEnvelope;
import io.soma.streams.topologies.marketplace.CapsuleManifest;
import io.soma.streams.topologies.marketplace.ExampleCapsulePublisher;
import io.soma.streams.topologies.marketplace.MarketplaceAvro;
import io.soma.streams.topologies.marketplace.McpRegistry;
import io.soma.streams.topologies.policy.constitution.CanonicalJson;
import io.soma.streams.topologies.policy.constitution.SignatureAlgorithm;

import java.time.Instant;
import java.util.UUID;

/**
 * Catalog entries shaped as {@code MarketplaceApp} writes them, carrying the first real MCP registry manifest under a
 * capsule id of the test's own, in whatever status the test needs.
 */
final class CatalogEntries {
    private static final CapsuleManifest MANIFEST =
            McpRegistry.read(McpRegistry.file(TestPaths.dataDir())).get(0).manifest();

    private CatalogEntries() {
    }

    static CapsuleCatalogEntry entry(String capsuleId, CapsuleStatus status) {
        byte[] signed = CapsuleEnvelope.signedBytes(capsuleId, ExampleCapsulePublisher.PUBLISHER, MANIFEST);
        return CapsuleCatalogEntry.newBuilder()
                .setCapsuleId(capsuleId)
                .setPublisher(ExampleCapsulePublisher.PUBLISHER)
                .setStatus(status)
                .setManifest(MarketplaceAvro.manifest(MANIFEST))
                .setManifestDigest(CanonicalJson.sha256Hex(signed))
                .setKeyId(ExampleCapsulePublisher.KEY_ID)
                .setAlgorithm(SignatureAlgorithm.EDDSA.bundleName())
                .setUpdatedAt(Instant.now())
                .setLastEventId(UUID.randomUUID().toString())
                .build();
    }
}
