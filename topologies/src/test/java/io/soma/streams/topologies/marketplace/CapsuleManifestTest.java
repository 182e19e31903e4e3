package io.soma.streams.topologies.marketplace;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The manifest's JSON form, as publishers send it to the edge, reads back to the manifest they signed. */
class CapsuleManifestTest {
    private static final List<McpRegistry.Entry> ENTRIES = McpRegistry.read(McpRegistry.file(TestPaths.dataDir()));
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldReadBackEveryRealManifestFromItsJsonFieldForField() throws Exception {
        assertThat(ENTRIES).hasSize(471);
        for (McpRegistry.Entry entry : ENTRIES) {
            // through text, as it crosses HTTP
            String sent = JSON.writeValueAsString(entry.manifest().toJson());
            if (entry.manifest().version().isBlank()) {
                // the seed file's entries that are empty in every field, id included: nothing could review them
                assertThat(entry.capsuleId()).isEmpty();
                assertThatThrownBy(() -> CapsuleManifest.fromJson(JSON.readTree(sent)))
                        .hasMessageContaining("version must not be blank");
                continue;
            }
            CapsuleManifest read = CapsuleManifest.fromJson(JSON.readTree(sent));

            assertThat(read).as(entry.capsuleId()).isEqualTo(entry.manifest());
            assertThat(CapsuleEnvelope.signedBytes(entry.capsuleId(), "p", read))
                    .isEqualTo(CapsuleEnvelope.signedBytes(entry.capsuleId(), "p", entry.manifest()));
        }
    }

    @Test
    void shouldRefuseAManifestWithoutVersionNamingTheField() throws Exception {
        assertThatThrownBy(() -> CapsuleManifest.fromJson(JSON.readTree("{\"name\":\"x\",\"packages\":[]}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("version");
        assertThatThrownBy(() -> CapsuleManifest.fromJson(JSON.readTree("{\"name\":\"x\",\"version\":\"1\",\"packages\":{}}")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("packages");
        for (String blank : new String[]{"\"\"", "\" \"", "{}"}) {
            assertThatThrownBy(() -> CapsuleManifest.fromJson(JSON.readTree("{\"name\":\"x\",\"version\":" + blank
                    + ",\"packages\":[]}"))).as(blank).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("version must not be blank");
        }
    }
}
