package io.soma.streams.helm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.marcnuri.helm.Helm;
import com.marcnuri.helm.LintResult;
import com.marcnuri.helm.TemplateCommand;
import java.io.IOException;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.UnaryOperator;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.Test;

/** Lints the chart and checks the manifests {@code helm template} renders from it. */
class ChartTest {

  private static final String RELEASE = RenderedChart.RELEASE;
  private static final String HEADLESS = "soma-soma-streams-headless";
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  @Test
  void shouldPassLint() {
    LintResult lint = new Helm(RenderedChart.CHART).lint().strict().call();

    assertThat(lint.isFailed()).as(String.join("\n", lint.getMessages())).isFalse();
  }

  /**
   * A cluster without the APIs the manifests use (policy/v1 PodDisruptionBudget, from 1.21) is refused before
   * anything is installed, not by its API server half-way through the release.
   */
  @Test
  void shouldRefuseAClusterOlderThanTheApisItUses() throws IOException {
    assertThatThrownBy(() -> RenderedChart.render(t -> t.withKubeVersion("v1.20.15")))
        .hasMessageContaining("kubeVersion");
    assertThat(RenderedChart.render(t -> t.withKubeVersion("v1.21.0"))).isNotEmpty();
  }

  @Test
  void shouldRenderAStatefulSetWhosePodsAdvertiseTheirOwnDnsNames() throws IOException {
    JsonNode statefulSet = single(RenderedChart.render(UnaryOperator.identity()), "StatefulSet");
    JsonNode container = statefulSet.at("/spec/template/spec/containers/0");

    assertThat(statefulSet.at("/spec/serviceName").asText()).isEqualTo(HEADLESS);
    assertThat(statefulSet.at("/spec/replicas").asInt()).isEqualTo(3);
    assertThat(env(container, "SOMA_EDGE_ADVERTISED_ADDRESS"))
        .isEqualTo("$(POD_NAME)." + HEADLESS + ".$(POD_NAMESPACE).svc.cluster.local:7071");
    assertThat(container.at("/env").findValuesAsText("fieldPath"))
        .containsExactly("metadata.name", "metadata.namespace");
    assertThat(env(container, "SOMA_EDGE_HOST")).isEqualTo("0.0.0.0");
    assertThat(env(single(RenderedChart.render(t -> t.set("clusterDomain", "corp.example")), "StatefulSet")
        .at("/spec/template/spec/containers/0"), "SOMA_EDGE_ADVERTISED_ADDRESS"))
        .isEqualTo("$(POD_NAME)." + HEADLESS + ".$(POD_NAMESPACE).svc.corp.example:7071");
    // a task's active and standby copies on one node would go together: spread when the scheduler can
    JsonNode spread = statefulSet.at("/spec/template/spec/topologySpreadConstraints/0");
    assertThat(spread.at("/topologyKey").asText()).isEqualTo("kubernetes.io/hostname");
    assertThat(spread.at("/whenUnsatisfiable").asText()).isEqualTo("ScheduleAnyway");
    assertThat(spread.at("/labelSelector/matchLabels")).isEqualTo(statefulSet.at("/spec/selector/matchLabels"));
    assertThat(env(container, "SOMA_STREAMS_NUM_STANDBY_REPLICAS")).isEqualTo("2");
  }

  @Test
  void shouldRunTheImageOfTheProjectVersionAsItsUnprivilegedUserOnAReadOnlyRoot() throws IOException {
    JsonNode pod = single(RenderedChart.render(UnaryOperator.identity()), "StatefulSet").at("/spec/template/spec");
    JsonNode container = pod.at("/containers/0");

    assertThat(container.at("/image").asText()).isEqualTo("soma-streams:" + System.getProperty("soma.project.version"));
    assertThat(container.has("command")).as("the image's entrypoint runs").isFalse();
    assertThat(env(container, "JDK_JAVA_OPTIONS"))
        .as("read after the image's JAVA_TOOL_OPTIONS, so it wins").isEqualTo("-XX:MaxRAMPercentage=60");
    // more flags do not drop the heap's share
    assertThat(env(single(RenderedChart.render(t -> t.set("javaOpts", "-Xlog:gc")), "StatefulSet")
        .at("/spec/template/spec/containers/0"), "JDK_JAVA_OPTIONS")).isEqualTo("-XX:MaxRAMPercentage=60 -Xlog:gc");
    assertThat(pod.at("/securityContext/runAsNonRoot").asBoolean()).isTrue();
    assertThat(pod.at("/securityContext/runAsUser").asInt()).isEqualTo(10001);
    assertThat(container.at("/securityContext/readOnlyRootFilesystem").asBoolean()).isTrue();
    assertThat(find(container.at("/volumeMounts"), "name", "tmp").orElseThrow().at("/mountPath").asText())
        .isEqualTo("/tmp");
  }

  @Test
  void shouldShipADashboardPerAreaForTheGrafanaSidecar() throws IOException {
    JsonNode dashboards = named(RenderedChart.render(UnaryOperator.identity()), "ConfigMap", "soma-soma-streams-dashboards");

    assertThat(dashboards.at("/metadata/labels/grafana_dashboard").asText()).isEqualTo("1");
    assertThat(dashboards.at("/data").fieldNames()).toIterable().containsExactlyInAnyOrder(
        "soma-governance.json", "soma-runtime.json", "soma-models.json", "soma-spend.json");
    for (JsonNode json : dashboards.at("/data")) {
      JsonNode dashboard = YAML.readTree(json.asText());
      assertThat(dashboard.at("/title").asText()).startsWith("Soma Streams / ");
      assertThat(dashboard.at("/panels")).isNotEmpty().allSatisfy(panel ->
          assertThat(panel.at("/targets/0/expr").asText()).isNotBlank());
    }
  }

  @Test
  void shouldRenderTheAlertRulesOnlyWhenEnabled() throws IOException {
    assertThat(ofKind(RenderedChart.render(UnaryOperator.identity()), "PrometheusRule")).isEmpty();

    JsonNode rule = single(RenderedChart.render(t -> t.set("metrics.prometheusRule.enabled", true)), "PrometheusRule");
    assertThat(rule.at("/spec/groups").findValuesAsText("alert")).contains("SomaConsumerLagGrowing",
        "SomaDeadLettersGrowing", "SomaConstitutionStale", "SomaBudgetProjectedToRunOut", "SomaInstanceNotReady");
  }

  @Test
  void shouldRenderAHeadlessServiceForTheStatefulSet() throws IOException {
    JsonNode headless = named(RenderedChart.render(UnaryOperator.identity()), "Service", HEADLESS);

    assertThat(headless.at("/spec/clusterIP").asText()).isEqualTo("None");
  }

  @Test
  void shouldProbeTheHealthEndpoints() throws IOException {
    JsonNode container =
        single(RenderedChart.render(UnaryOperator.identity()), "StatefulSet").at("/spec/template/spec/containers/0");

    assertThat(container.at("/readinessProbe/httpGet/path").asText()).isEqualTo("/health/ready");
    assertThat(container.at("/livenessProbe/httpGet/path").asText()).isEqualTo("/health/live");
    // liveness on threads of its own: the public port's are all busy with waiting steps under load
    assertThat(container.at("/livenessProbe/httpGet/port").asText()).isEqualTo("management");
    assertThat(container.at("/startupProbe/httpGet/port").asText()).isEqualTo("management");
    assertThat(container.at("/readinessProbe/httpGet/port").asText()).isEqualTo("http");
    // the readiness checks may take seconds each: not Kubernetes' default 1 s
    assertThat(container.at("/readinessProbe/timeoutSeconds").asInt()).isGreaterThanOrEqualTo(10);
    assertThat(container.at("/livenessProbe/timeoutSeconds").asInt()).isGreaterThan(1);
  }

  /**
   * The edge answers /health/live only once every app has started, after the schemas are registered and the global
   * tables loaded: a liveness probe counting from the pod's start killed a slow start, which a kill made slower still.
   */
  @Test
  void shouldGiveAStartingPodTenMinutesBeforeLivenessCounts() throws IOException {
    JsonNode container =
        single(RenderedChart.render(UnaryOperator.identity()), "StatefulSet").at("/spec/template/spec/containers/0");

    assertThat(container.at("/startupProbe/httpGet/path").asText()).isEqualTo("/health/live");
    assertThat(container.at("/startupProbe/periodSeconds").asInt()
        * container.at("/startupProbe/failureThreshold").asInt()).isGreaterThanOrEqualTo(600);
  }

  @Test
  void shouldRollThePodsWhenTheSecretChanges() throws IOException {
    UnaryOperator<TemplateCommand> rotated = t -> t.set("secrets.peerSecret", "another-peer-secret-of-32-characters");

    assertThat(podAnnotations(rotated).get("checksum/secret"))
        .isNotBlank().isNotEqualTo(podAnnotations(UnaryOperator.identity()).get("checksum/secret"));
    assertThat(podAnnotations(rotated).get("checksum/config"))
        .isEqualTo(podAnnotations(UnaryOperator.identity()).get("checksum/config"));
  }

  /** A rotation's second peer secret reaches the pods through the Secret, and rolls them as the first does. */
  @Test
  void shouldCarryASecondAcceptedPeerSecretForARotation() throws IOException {
    UnaryOperator<TemplateCommand> accepting =
        t -> t.set("secrets.peerSecretAccepted", "the-next-peer-secret-of-32-characters");

    assertThat(single(RenderedChart.render(accepting), "Secret").at("/stringData/SOMA_EDGE_PEER_SECRET_ACCEPTED")
        .asText()).isEqualTo("the-next-peer-secret-of-32-characters");
    assertThat(podAnnotations(accepting).get("checksum/secret"))
        .isNotEqualTo(podAnnotations(UnaryOperator.identity()).get("checksum/secret"));
  }

  private static Map<String, String> podAnnotations(UnaryOperator<TemplateCommand> values) throws IOException {
    Map<String, String> annotations = new HashMap<>();
    single(RenderedChart.render(values), "StatefulSet").at("/spec/template/metadata/annotations").fields()
        .forEachRemaining(e -> annotations.put(e.getKey(), e.getValue().asText()));
    return annotations;
  }

  @Test
  void shouldGiveTheAppsTimeToCloseBeforeThePodIsKilled() throws IOException {
    JsonNode pod = single(RenderedChart.render(UnaryOperator.identity()), "StatefulSet").at("/spec/template/spec");

    // a start in progress reaching its next step (30 s), the drain (5 s), the streams' end (2 s), the two listeners'
    // requests in progress (30 s each), six apps closed in turn, each up to 30 s, and the rest
    assertThat(pod.at("/terminationGracePeriodSeconds").asInt()).isGreaterThan(30 + 5 + 2 + 2 * 30 + 6 * 30);
  }

  @Test
  void shouldKeepStateOnAClaimMountedAtTheDataDir() throws IOException {
    JsonNode statefulSet = single(RenderedChart.render(UnaryOperator.identity()), "StatefulSet");
    JsonNode container = statefulSet.at("/spec/template/spec/containers/0");
    String claim = statefulSet.at("/spec/volumeClaimTemplates/0/metadata/name").asText();
    JsonNode mount = find(container.at("/volumeMounts"), "name", claim).orElseThrow();

    assertThat(mount.at("/mountPath").asText()).isEqualTo(env(container, "SOMA_STACK_DATA_DIR"));
    assertThat(env(container, "SOMA_STREAMS_STATE_DIR")).startsWith(mount.at("/mountPath").asText() + "/");
  }

  /** The Grafana sidecar's label is the default, not a requirement: a chart without it still renders. */
  @Test
  void shouldRenderTheDashboardsWithoutTheirDefaultLabel() throws IOException {
    JsonNode dashboards = named(RenderedChart.render(t -> t.set("metrics.dashboards.labels.grafana_dashboard", "null")),
        "ConfigMap", "soma-soma-streams-dashboards");

    assertThat(dashboards.at("/metadata/labels").has("grafana_dashboard")).isFalse();
  }

  @Test
  void shouldLimitDisruptionToOnePod() throws IOException {
    JsonNode budget = single(RenderedChart.render(UnaryOperator.identity()), "PodDisruptionBudget");

    assertThat(budget.at("/spec/maxUnavailable").asInt()).isEqualTo(1);
  }

  @Test
  void shouldRenderTheServiceMonitorOnlyWhenEnabled() throws IOException {
    assertThat(ofKind(RenderedChart.render(UnaryOperator.identity()), "ServiceMonitor")).isEmpty();

    // the NetworkPolicy admits only what managementFrom names to the management port: Prometheus must be one
    assertThatThrownBy(() -> RenderedChart.render(t -> t.set("metrics.serviceMonitor.enabled", true)))
        .hasMessageContaining("networkPolicy.managementFrom");
    JsonNode monitor = single(RenderedChart.render(t -> t.set("metrics.serviceMonitor.enabled", true)
        .set("networkPolicy.managementFrom[0].namespaceSelector.matchLabels.name", "monitoring")), "ServiceMonitor");
    assertThat(monitor.at("/spec/endpoints/0/path").asText()).isEqualTo("/metrics");
    assertThat(monitor.at("/spec/endpoints/0/port").asText()).isEqualTo("management");
  }

  @Test
  void shouldKeepSecretsOutOfTheConfigMap() throws IOException {
    List<JsonNode> manifests = RenderedChart.render(UnaryOperator.identity());
    JsonNode configMap = named(manifests, "ConfigMap", "soma-soma-streams");
    JsonNode secret = single(manifests, "Secret");

    assertThat(configMap.at("/data").toString()).doesNotContain("s3cret-pg", "wrap-secret", "bootstrap-key");
    assertThat(configMap.at("/data").fieldNames()).toIterable().doesNotContain("SOMA_POSTGRES_PASSWORD");
    assertThat(secret.at("/stringData/SOMA_POSTGRES_PASSWORD").asText()).isEqualTo("s3cret-pg");
    assertThat(configMap.at("/data/SOMA_KAFKA_BOOTSTRAP_SERVERS").asText()).isEqualTo("kafka:9092");
  }

  @Test
  void shouldMountTrustedConstitutionKeysAsFiles() throws IOException {
    JsonNode container =
        single(RenderedChart.render(t -> t.set("constitutionTrustedKeys.prod-2026", "PEM")), "StatefulSet")
            .at("/spec/template/spec/containers/0");

    assertThat(env(container, "SOMA_CONSTITUTION_TRUSTED_KEYS"))
        .isEqualTo("prod-2026=/etc/soma/trusted-keys/constitution-prod-2026.pem");
    assertThat(find(container.at("/volumeMounts"), "name", "trusted-keys")).isPresent();
  }

  @Test
  void shouldMountMarketplacePublisherKeysAsFilesTheSettingNames() throws IOException {
    List<JsonNode> manifests = RenderedChart.render(t -> t
        .set("marketplaceTrustedKeys.acme/labs.k-2026", "ACME PEM")
        .set("marketplaceTrustedKeys.acme/labs.k-2025", "OLD ACME PEM")
        .set("marketplaceTrustedKeys.beta.k-2026", "BETA PEM"));
    JsonNode container = single(manifests, "StatefulSet").at("/spec/template/spec/containers/0");
    JsonNode files = named(manifests, "Secret", "soma-soma-streams-trusted-keys").at("/stringData");

    // publisher:keyId=/etc/soma/trusted-keys/<file>, each file a key of the mounted Secret holding that key's PEM
    Map<String, String> pemBySetting = new HashMap<>();
    for (String entry : env(container, "SOMA_MARKETPLACE_TRUSTED_KEYS").split(",")) {
      String file = entry.substring(entry.indexOf('=') + 1);
      assertThat(file).startsWith("/etc/soma/trusted-keys/");
      pemBySetting.put(entry.substring(0, entry.indexOf('=')),
          files.path(file.substring("/etc/soma/trusted-keys/".length())).asText(null));
    }
    assertThat(pemBySetting).isEqualTo(Map.of(
        "acme/labs:k-2026", "ACME PEM", "acme/labs:k-2025", "OLD ACME PEM", "beta:k-2026", "BETA PEM"));
    assertThat(find(container.at("/volumeMounts"), "name", "trusted-keys")).isPresent();
  }

  @Test
  void shouldRefuseAMarketplacePublisherTheSettingCannotCarry() {
    assertThatThrownBy(() -> RenderedChart.render(t -> t.set("marketplaceTrustedKeys.acme:labs.k1", "PEM")))
        .hasMessageContaining("marketplaceTrustedKeys");
  }

  @Test
  void shouldKeepThePeerAndManagementPortsOffThePublicService() throws IOException {
    List<JsonNode> manifests = RenderedChart.render(UnaryOperator.identity());
    JsonNode container = single(manifests, "StatefulSet").at("/spec/template/spec/containers/0");

    assertThat(named(manifests, "Service", "soma-soma-streams").at("/spec/ports").findValuesAsText("name"))
        .containsExactly("http");
    assertThat(named(manifests, "Service", HEADLESS).at("/spec/ports").findValuesAsText("name"))
        .containsExactly("http", "peer", "management");
    assertThat(container.at("/ports").findValuesAsText("name")).containsExactly("http", "peer", "management");
    assertThat(env(container, "SOMA_EDGE_PEER_PORT")).isEqualTo("7071");
    assertThat(env(container, "SOMA_EDGE_MANAGEMENT_PORT")).isEqualTo("9090");
  }

  @Test
  void shouldAdmitOnlyTheReleasesPodsToThePeerPort() throws IOException {
    JsonNode policy =
        single(RenderedChart.render(t -> t.set("networkPolicy.managementFrom[0].namespaceSelector.matchLabels.team", "obs")),
            "NetworkPolicy");
    JsonNode release = YAML.createObjectNode().set("podSelector", YAML.createObjectNode().set("matchLabels",
        YAML.createObjectNode().put("app.kubernetes.io/name", "soma-streams").put("app.kubernetes.io/instance", RELEASE)));

    assertThat(policy.at("/spec/podSelector")).isEqualTo(release.get("podSelector"));
    assertThat(ingressFrom(policy, "peer")).containsExactly(release);
    assertThat(ingressFrom(policy, "management")).hasSize(2).first().isEqualTo(release);
    assertThat(ingressFrom(policy, "management").get(1).at("/namespaceSelector/matchLabels/team").asText())
        .isEqualTo("obs");
    assertThat(ingressFrom(policy, "http")).as("http from anywhere by default").isEmpty();
  }

  @Test
  void shouldHoldTheRedisPasswordWrapSecretAndPeerCredentialInTheSecret() throws IOException {
    List<JsonNode> manifests =
        RenderedChart.render(t -> t.set("secrets.redisPassword", "s3cret-redis").set("secrets.peerSecret", "s3cret-peer")
            .set("redisAuth.enabled", true));
    JsonNode secret = single(manifests, "Secret");
    JsonNode container = single(manifests, "StatefulSet").at("/spec/template/spec/containers/0");

    assertThat(secret.at("/stringData/SOMA_REDIS_PASSWORD").asText()).isEqualTo("s3cret-redis");
    assertThat(secret.at("/stringData/SOMA_IDENTITY_KEYS_WRAP_SECRET").asText()).isEqualTo("wrap-secret");
    assertThat(secret.at("/stringData/SOMA_EDGE_PEER_SECRET").asText()).isEqualTo("s3cret-peer");
    assertThat(env(container, "SOMA_REDIS_URL")).isEqualTo("redis://:$(SOMA_REDIS_PASSWORD)@redis:6379");
    assertThat(named(manifests, "ConfigMap", "soma-soma-streams").toString()).doesNotContain("s3cret-redis", "s3cret-peer");
    assertThat(container.toString()).doesNotContain("s3cret-redis", "s3cret-peer");
  }

  private static List<JsonNode> ofKind(List<JsonNode> manifests, String kind) {
    return manifests.stream().filter(m -> kind.equals(m.path("kind").asText())).toList();
  }

  private static JsonNode single(List<JsonNode> manifests, String kind) {
    assertThat(ofKind(manifests, kind)).hasSize(1);
    return ofKind(manifests, kind).get(0);
  }

  private static JsonNode named(List<JsonNode> manifests, String kind, String name) {
    return ofKind(manifests, kind).stream()
        .filter(m -> name.equals(m.at("/metadata/name").asText()))
        .findFirst()
        .orElseThrow();
  }

  private static Optional<JsonNode> find(JsonNode array, String field, String value) {
    return StreamSupport.stream(array.spliterator(), false)
        .filter(item -> value.equals(item.path(field).asText()))
        .findFirst();
  }

  /** The {@code from} of the ingress rule for the named port; empty: from anywhere. */
  private static List<JsonNode> ingressFrom(JsonNode policy, String port) {
    JsonNode rule = StreamSupport.stream(policy.at("/spec/ingress").spliterator(), false)
        .filter(r -> r.at("/ports").findValuesAsText("port").equals(List.of(port)))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no ingress rule for port " + port + " in " + policy));
    return StreamSupport.stream(rule.path("from").spliterator(), false).toList();
  }

  private static String env(JsonNode container, String name) {
    return find(container.at("/env"), "name", name).orElseThrow().path("value").asText();
  }
}
