package io.soma.streams.edge.marketplace;

import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.schemas.Texts;
import io.soma.streams.topologies.marketplace.MarketplaceLimits;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A catalog entry as lists and the change stream show it: what it is and where it stands, findings counted, the
 * name (to 256 characters) and description cut. What every instance keeps of every capsule: an entry may be 512 KiB, its summary about a kilobyte.
 */
record CapsuleSummary(String capsuleId, String publisher, CapsuleStatus status, String name, String description,
                      String version, int findings, Instant updatedAt) {
    /** Characters of a description a summary keeps; the entry has it whole. */
    static final int DESCRIPTION_CHARS = 1000;

    static CapsuleSummary of(CapsuleCatalogEntry e) {
        return new CapsuleSummary(e.getCapsuleId(), e.getPublisher(), e.getStatus(),
                MarketplaceLimits.shown(e.getManifest().getName()),
                Texts.cut(e.getManifest().getDescription(), DESCRIPTION_CHARS), e.getManifest().getVersion(),
                e.getFindings().size(), e.getUpdatedAt());
    }

    Map<String, Object> view() {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("capsule_id", capsuleId);
        out.put("publisher", publisher);
        out.put("status", MarketplaceHandlers.wire(status));
        out.put("name", name);
        out.put("description", description);
        out.put("version", version);
        out.put("findings", findings);
        out.put("updated_at", updatedAt.toString());
        return out;
    }
}
