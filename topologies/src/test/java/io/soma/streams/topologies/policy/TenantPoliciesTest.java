package io.soma.streams.topologies.policy;

import io.soma.streams.avro.CapsuleCatalogEntry;
import io.soma.streams.avro.CapsuleStatus;
import io.soma.streams.topologies.policy.evaluation.CapsuleStanding;
import io.soma.streams.topologies.policy.evaluation.EvaluationLimits;
import io.soma.streams.topologies.policy.example.ExamplePolicy;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class TenantPoliciesTest {
    @Test
    void shouldHoldOnlyACapsuleTheCatalogHasApprovedAsApproved() {
        Map<String, CapsuleCatalogEntry> catalog = new HashMap<>();
        for (CapsuleStatus status : CapsuleStatus.values()) {
            catalog.put("capsule-" + status, CatalogEntries.entry("capsule-" + status, status));
        }
        TenantPolicies policies = new TenantPolicies(ExamplePolicy.verifier(), EvaluationLimits.DEFAULT,
                scope -> null, tenant -> null, catalog::get);

        for (CapsuleStatus status : CapsuleStatus.values()) {
            assertThat(policies.capsule("capsule-" + status)).as(status.name())
                    .isEqualTo(new CapsuleStanding("capsule-" + status, status == CapsuleStatus.APPROVED));
        }
        assertThat(policies.capsule("not-in-the-catalog")).isEqualTo(new CapsuleStanding("not-in-the-catalog", false));
        assertThat(policies.capsule(null)).as("an event naming no capsule").isNull();
    }
}
