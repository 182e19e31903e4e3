package io.soma.streams.image;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Reads the image tarball Jib built in this module's package phase as an OCI image layout, as a runtime would: the
 * index, the manifest, the config and every layer. No container engine is involved.
 */
class ImageIT {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Path TARBALL = Path.of(System.getProperty("soma.image.tar"));
  private static final String VERSION = System.getProperty("soma.project.version");
  /** Names a key, a keystore or a credentials file would have; the JDK's CA trust store is public. */
  private static final Pattern SECRET_NAME = Pattern.compile(
      "(?i).*(\\.key|\\.p12|\\.pfx|\\.jks|\\.keystore|/id_rsa|/id_ed25519|/\\.env|/credentials(\\.json)?|DO-NOT-USE[^/]*)$");
  private static final String PRIVATE_KEY = "PRIVATE KEY-----";
  /** Jar entries that are text, where a private key in PEM form could hide. */
  private static final Pattern TEXT_NAME = Pattern.compile("(?i).*\\.(pem|crt|txt|json|properties|ya?ml|conf)$");

  private static JsonNode config;
  private static Map<String, TarArchiveEntry> files;
  /** The content of the image's small files (not jars), by path. */
  private static Map<String, String> smallFiles;
  /** Every entry of every jar in the image, as {@code /app/libs/x.jar!/path}. */
  private static List<String> jarEntries;
  /** The paths of text entries (files and jar entries) that hold a PEM private key. */
  private static List<String> privateKeys;

  @BeforeAll
  static void readImage() throws IOException {
    Map<String, byte[]> smallBlobs = new HashMap<>();
    forEachEntry(TARBALL, (entry, in) -> {
      if (entry.getSize() < 1 << 20) {
        smallBlobs.put(entry.getName(), in.readAllBytes());
      }
    });
    JsonNode index = JSON.readTree(smallBlobs.get("index.json"));
    assertThat(index.at("/manifests")).hasSize(1);
    JsonNode manifest = JSON.readTree(smallBlobs.get(blob(index.at("/manifests/0/digest").asText())));
    config = JSON.readTree(smallBlobs.get(blob(manifest.at("/config/digest").asText())));

    List<String> layers = new ArrayList<>();
    manifest.at("/layers").forEach(layer -> layers.add(blob(layer.get("digest").asText())));
    files = new HashMap<>();
    smallFiles = new HashMap<>();
    jarEntries = new ArrayList<>();
    privateKeys = new ArrayList<>();
    forEachEntry(TARBALL, (entry, in) -> {
      if (layers.contains(entry.getName())) {
        readLayer(new GZIPInputStream(in));
      }
    });
  }

  @Test
  void shouldRunAsAnUnprivilegedUserTheImageNames() {
    assertThat(config.at("/config/User").asText()).isEqualTo("10001:10001");
    assertThat(smallFiles.get("etc/passwd")).contains("\nsoma:x:10001:10001:");
  }

  @Test
  void shouldStartTheProcessInRunModeOnTheLinkedRuntimeWithHeapAsAShareOfTheLimit() {
    List<String> entrypoint = strings(config.at("/config/Entrypoint"));

    assertThat(entrypoint.get(0)).isEqualTo("java");
    assertThat(strings(config.at("/config/Env"))).contains("PATH=/opt/java/bin:/usr/bin:/bin");
    assertThat(files.get("opt/java/bin/java").getMode() & 0777).isEqualTo(0755);
    assertThat(files.get("lib64/ld-linux-x86-64.so.2").getMode() & 0777).isEqualTo(0755);
    assertThat(entrypoint).containsExactly("java", "-cp", "@/app/jib-classpath-file", "io.soma.streams.edge.SomaMain");
    assertThat(env("JAVA_TOOL_OPTIONS")).isEqualTo("-XX:MaxRAMPercentage=75 -XX:+ExitOnOutOfMemoryError");
    assertThat(strings(config.at("/config/Cmd"))).containsExactly("run");
    assertThat(files).containsKeys("app/jib-classpath-file", "tmp/");
    assertThat(files.get("tmp/").getMode() & 0777).isEqualTo(0777);
  }

  /**
   * The chart's javaOpts go through JDK_JAVA_OPTIONS: with the image's flags on the entrypoint's command line, which
   * beats it, the chart's heap share was silently ignored. Asked of a JVM started as the image starts one.
   */
  @Test
  void shouldLetTheChartsJavaOptsChangeTheHeapShareAndKeepTheOthers() throws Exception {
    List<String> command = new ArrayList<>(strings(config.at("/config/Entrypoint")));
    command.set(0, Path.of(System.getProperty("java.home"), "bin", "java").toString());
    // the flags the entrypoint holds, then what the JVM made of them, instead of the main class
    command = new ArrayList<>(command.subList(0, command.indexOf("-cp")));
    command.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
    ProcessBuilder jvm = new ProcessBuilder(command).redirectErrorStream(true);
    jvm.environment().put("JAVA_TOOL_OPTIONS", env("JAVA_TOOL_OPTIONS"));
    jvm.environment().put("JDK_JAVA_OPTIONS", "-XX:MaxRAMPercentage=60");
    Process started = jvm.start();
    String flags = new String(started.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(started.waitFor()).isZero();

    assertThat(flags).containsPattern("MaxRAMPercentage +?= 60\\.0")
        .containsPattern("ExitOnOutOfMemoryError +?= true");
  }

  @Test
  void shouldExposeTheEdgePeerAndManagementPorts() {
    assertThat(config.at("/config/ExposedPorts").fieldNames()).toIterable()
        .containsExactlyInAnyOrder("8080/tcp", "7071/tcp", "9090/tcp");
  }

  @Test
  void shouldBeLabelledWithTheProjectVersionForLinuxAmd64() {
    assertThat(config.at("/config/Labels/org.opencontainers.image.version").asText()).isEqualTo(VERSION);
    assertThat(config.at("/os").asText()).isEqualTo("linux");
    assertThat(config.at("/architecture").asText()).isEqualTo("amd64");
  }

  @Test
  void shouldHoldTheEdgeButNotTheSchemaRegistryRunner() {
    assertThat(files.keySet()).anyMatch(path -> path.matches("app/libs/edge-api-.*\\.jar"));
    assertThat(files.keySet()).filteredOn(path -> path.contains("schema-registry") || path.contains("apicurio"))
        .isEmpty();
    assertThat(jarEntries).filteredOn(path -> path.contains("io/apicurio/")).isEmpty();
  }

  @Test
  void shouldHoldNoSecrets() {
    assertThat(files.keySet()).filteredOn(path -> SECRET_NAME.matcher(path).matches()).isEmpty();
    assertThat(jarEntries).filteredOn(path -> SECRET_NAME.matcher(path).matches()).isEmpty();
    assertThat(privateKeys).isEmpty();
    assertThat(strings(config.at("/config/Env")))
        .noneMatch(variable -> variable.matches("(?i)[^=]*(SECRET|PASSWORD|TOKEN|API_KEY)[^=]*=.*"));
  }

  private static void readLayer(InputStream layer) throws IOException {
    forEachEntry(layer, (entry, in) -> {
      String path = entry.getName().replaceFirst("^\\./", "");
      files.put(path, entry);
      if (path.endsWith(".jar")) {
        readJar(path, in);
      } else if (entry.getSize() < 1 << 18) {
        smallFiles.put(path, new String(in.readAllBytes(), StandardCharsets.ISO_8859_1));
        if (smallFiles.get(path).contains(PRIVATE_KEY)) {
          privateKeys.add(path);
        }
      }
    });
  }

  private static void readJar(String jar, InputStream in) throws IOException {
    ZipInputStream zip = new ZipInputStream(in);
    for (ZipEntry entry = zip.getNextEntry(); entry != null; entry = zip.getNextEntry()) {
      String path = jar + "!/" + entry.getName();
      jarEntries.add(path);
      if (TEXT_NAME.matcher(entry.getName()).matches() && holdsPrivateKey(zip)) {
        privateKeys.add(path);
      }
    }
  }

  private static boolean holdsPrivateKey(InputStream in) throws IOException {
    return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1).contains(PRIVATE_KEY);
  }

  private interface EntryReader {
    void read(TarArchiveEntry entry, InputStream in) throws IOException;
  }

  /** Calls {@code reader} with each regular file of the tar stream (directories: with an empty stream). */
  private static void forEachEntry(InputStream tar, EntryReader reader) throws IOException {
    TarArchiveInputStream entries = new TarArchiveInputStream(tar);
    for (TarArchiveEntry entry = entries.getNextEntry(); entry != null; entry = entries.getNextEntry()) {
      reader.read(entry, entries);
    }
  }

  private static void forEachEntry(Path tar, EntryReader reader) throws IOException {
    try (InputStream in = Files.newInputStream(tar)) {
      forEachEntry(in, reader);
    }
  }

  private static String blob(String digest) {
    return "blobs/sha256/" + digest.substring("sha256:".length());
  }

  /** The value the image's config gives the environment variable {@code name}. */
  private static String env(String name) {
    return strings(config.at("/config/Env")).stream().filter(e -> e.startsWith(name + "="))
        .map(e -> e.substring(name.length() + 1)).findFirst().orElse(null);
  }

  private static List<String> strings(JsonNode array) {
    List<String> values = new ArrayList<>();
    array.forEach(value -> values.add(value.asText()));
    return values;
  }
}
