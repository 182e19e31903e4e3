package io.soma.streams.helm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/** The manifests {@code helm template} renders from the chart, through the Helm library helm-java bundles. */
final class RenderedChart {

  static final Path CHART = Path.of("soma-streams");
  static final String RELEASE = "soma";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private RenderedChart() {}

  /**
   * Renders the chart for Kubernetes 1.30 with 3 replicas, 2 standbys and secret values, plus what {@code extra}
   * sets.
   */
  static List<JsonNode> render(UnaryOperator<TemplateCommand> extra) throws IOException {
    TemplateCommand template =
        new Helm(CHART)
            .template()
            .withName(RELEASE)
            .withNamespace("agents")
            // a cluster the chart supports (the bundled Helm library would otherwise claim v1.20.0)
            .withKubeVersion("v1.30.0")
            .set("replicaCount", 3)
            .set("standbyReplicas", 2)
            .set("secrets.postgresPassword", "s3cret-pg")
            .set("secrets.keysWrapSecret", "wrap-secret")
            .set("secrets.bootstrapApiKey", "bootstrap-key");
    String rendered = extra.apply(template).call();
    List<JsonNode> manifests = new ArrayList<>();
    try (YAMLParser parser = (YAMLParser) YAML.getFactory().createParser(rendered)) {
      YAML.readValues(parser, JsonNode.class).forEachRemaining(node -> {
        if (node != null && !node.isMissingNode() && !node.isNull()) {
          manifests.add(node);
        }
      });
    }
    return manifests;
  }
}
