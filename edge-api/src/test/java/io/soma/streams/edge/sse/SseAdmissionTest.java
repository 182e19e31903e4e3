package io.soma.streams.edge.sse;

import io.soma.streams.edge.http.ApiException;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SseAdmissionTest {

    @Test
    void shouldRefuseATenantBeyondItsLimitWithoutTakingFromOthers() {
        SseAdmission admission = new SseAdmission(2, 10);
        SseAdmission.Permit first = admission.admit("a");
        admission.admit("a");

        assertThatThrownBy(() -> admission.admit("a")).isInstanceOfSatisfying(ApiException.class, e -> {
            assertThat(e.status()).isEqualTo(429);
            assertThat(e.details()).containsEntry("limit_scope", "tenant").containsEntry("limit", 2);
        });
        admission.admit("b");
        assertThat(admission.openStreams()).isEqualTo(3);

        first.close();
        first.close();
        assertThat(admission.openStreams()).isEqualTo(2);
        admission.admit("a");
    }

    @Test
    void shouldRefuseEveryTenantOnceTheProcessIsFull() {
        SseAdmission admission = new SseAdmission(5, 3);
        admission.admit("a");
        admission.admit("b");
        SseAdmission.Permit third = admission.admit("c");

        assertThatThrownBy(() -> admission.admit("d")).isInstanceOfSatisfying(ApiException.class, e ->
                assertThat(e.details()).containsEntry("limit_scope", "process"));
        // the refused tenant holds nothing afterwards
        third.close();
        admission.admit("d");
        assertThat(admission.openStreams()).isEqualTo(3);
    }
}
