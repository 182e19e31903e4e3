package io.soma.streams.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.DeserializationConfig;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.deser.BeanDeserializerBuilder;
import com.fasterxml.jackson.databind.deser.BeanDeserializerModifier;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import io.fabric8.openshift.api.model.monitoring.v1.PrometheusRule;
import io.fabric8.openshift.api.model.monitoring.v1.ServiceMonitor;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Parses every manifest the chart renders, with every optional part switched on, into the Kubernetes API types of
 * fabric8's model, refusing what those types do not know: a misspelt or misplaced field fails here, not at install.
 */
class ManifestTypesTest {

  /** The kinds the chart may render, with the API group and version each must be written in. */
  private static final Map<String, Class<? extends HasMetadata>> KINDS = Map.of(
      "StatefulSet", StatefulSet.class,
      "Service", Service.class,
      "ConfigMap", ConfigMap.class,
      "Secret", Secret.class,
      "NetworkPolicy", NetworkPolicy.class,
      "PodDisruptionBudget", PodDisruptionBudget.class,
      "ServiceMonitor", ServiceMonitor.class,
      "PrometheusRule", PrometheusRule.class);

  private static final ObjectMapper STRICT = strictMapper();

  @Test
  void shouldParseEveryRenderedManifestIntoItsApiTypeWithNoUnknownField() throws IOException {
    List<JsonNode> manifests = RenderedChart.render(t -> t
        .set("metrics.serviceMonitor.enabled", true)
        .set("metrics.prometheusRule.enabled", true)
        .set("metrics.dashboards.enabled", true)
        .set("constitutionTrustedKeys.prod-2026", "PEM")
        .set("marketplaceTrustedKeys.acme.k1", "PEM")
        .set("redisAuth.enabled", true)
        .set("javaOpts", "-XX:MaxRAMPercentage=60")
        .set("networkPolicy.managementFrom[0].namespaceSelector.matchLabels.team", "obs"));

    assertThat(manifests).extracting(m -> m.path("kind").asText()).containsAll(KINDS.keySet());
    for (JsonNode manifest : manifests) {
      Class<? extends HasMetadata> type = KINDS.get(manifest.path("kind").asText());
      assertThat(type).as("a kind this test knows: %s", manifest.path("kind")).isNotNull();
      HasMetadata parsed = STRICT.treeToValue(manifest, type);
      assertThat(parsed.getApiVersion()).as(parsed.getKind() + " " + parsed.getMetadata().getName())
          .isEqualTo(HasMetadata.getApiVersion(type));
    }
  }

  @Test
  void shouldRefuseAFieldTheApiTypeDoesNotHave() throws IOException {
    ObjectNode statefulSet = (ObjectNode) RenderedChart.render(t -> t).stream()
        .filter(m -> "StatefulSet".equals(m.path("kind").asText()))
        .findFirst()
        .orElseThrow();
    ((ObjectNode) statefulSet.at("/spec/template/spec/containers/0")).put("readinesProbe", "misspelt");

    assertThatThrownBy(() -> STRICT.treeToValue(statefulSet, StatefulSet.class))
        .isInstanceOf(UnrecognizedPropertyException.class)
        .hasMessageContaining("readinesProbe");
  }

  /**
   * fabric8's types keep unknown fields in an "additional properties" map; without that catch-all, and with unknown
   * properties and scalar coercion refused, only what the API defines parses.
   */
  private static ObjectMapper strictMapper() {
    SimpleModule noCatchAll = new SimpleModule().setDeserializerModifier(new BeanDeserializerModifier() {
      @Override
      public BeanDeserializerBuilder updateBuilder(
          DeserializationConfig config, com.fasterxml.jackson.databind.BeanDescription description,
          BeanDeserializerBuilder builder) {
        builder.setAnySetter(null);
        return builder;
      }
    });
    return JsonMapper.builder()
        .addModule(noCatchAll)
        .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
        .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
        .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
        .build();
  }
}
