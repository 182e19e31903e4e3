package io.soma.streams.devstack;

import com.sun.net.httpserver.HttpServer;
import io.soma.streams.testkit.Await;
import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Starts the real registry jar once and talks to its Confluent-compatible API over plain HTTP. */
class SchemaRegistryProcessIT {
    private static final Logger log = LoggerFactory.getLogger(SchemaRegistryProcessIT.class);
    private static final String CONFLUENT_JSON = "application/vnd.schemaregistry.v1+json";
    /** One request of the Azure LLM inference trace (TIMESTAMP, ContextTokens, GeneratedTokens). */
    private static final String REQUEST_V1 = """
            {"type":"record","name":"LlmRequest","namespace":"io.soma.streams.devstack.test","fields":[
             {"name":"timestamp","type":"string"},
             {"name":"contextTokens","type":"int"},
             {"name":"generatedTokens","type":"int"}]}""";
    /** Backward compatible: the new field has a default, so the new schema reads old records. */
    private static final String REQUEST_V2_WITH_DEFAULT = """
            {"type":"record","name":"LlmRequest","namespace":"io.soma.streams.devstack.test","fields":[
             {"name":"timestamp","type":"string"},
             {"name":"contextTokens","type":"int"},
             {"name":"generatedTokens","type":"int"},
             {"name":"tenant","type":"string","default":"conv"}]}""";
    /** Not backward compatible: old records have no value for a field without default. */
    private static final String REQUEST_V2_REQUIRED_FIELD = """
            {"type":"record","name":"LlmRequest","namespace":"io.soma.streams.devstack.test","fields":[
             {"name":"timestamp","type":"string"},
             {"name":"contextTokens","type":"int"},
             {"name":"generatedTokens","type":"int"},
             {"name":"tenant","type":"string"}]}""";

    /** What {@link RegistryOwnerMain} prints once its registry answers. */
    private static final Pattern OWNER_READY = Pattern.compile("registry pid (\\d+) ready at (\\S+)");

    private static final HttpClient http = HttpClient.newHttpClient();
    private static SchemaRegistryProcess registry;

    @BeforeAll
    static void startRegistry() throws IOException {
        Path workDir = TestPaths.newWorkDir("registry");
        long started = System.nanoTime();
        // the first port it is given is taken by the time the child binds it, as another process can take a port
        // found free: the child exits, and the registry starts on the next port. What took it answers every request
        // with 200, as the other test JVM's registry would if it had been given the same port: not taken for ours
        HttpServer taken = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        taken.createContext("/", exchange -> {
            exchange.sendResponseHeaders(200, 2);
            exchange.getResponseBody().write("[]".getBytes(StandardCharsets.UTF_8));
            exchange.close();
        });
        taken.start();
        try {
            int takenPort = taken.getAddress().getPort();
            Iterator<Integer> ports = List.of(takenPort, FreePort.onLoopback()).iterator();
            registry = SchemaRegistryProcess.start(SchemaRegistryProcess.locateJar(), ports::next, 2,
                    workDir.resolve("schema-registry-test.log"));
            assertThat(registry.url()).doesNotContain(":" + takenPort + "/");
        } finally {
            taken.stop(0);
        }
        log.info("registry start-to-ready {} ms, a start on a taken port included",
                (System.nanoTime() - started) / 1_000_000);
    }

    @AfterAll
    static void stopRegistry() throws IOException {
        if (registry != null) {
            Path status = Path.of("/proc", String.valueOf(registry.pid()), "status");
            if (Files.isReadable(status)) {
                Files.readAllLines(status).stream().filter(line -> line.startsWith("VmRSS"))
                        .forEach(line -> log.info("registry after the tests: {}", line));
            }
            registry.close();
        }
    }

    @Test
    void shouldRegisterASchemaAndServeItById() throws Exception {
        String subject = "llm-requests-by-id-value";

        HttpResponse<String> registered = post("/subjects/" + subject + "/versions", schemaBody(REQUEST_V1));
        assertThat(registered.statusCode()).isEqualTo(200);
        int id = intField(registered.body(), "id");

        HttpResponse<String> fetched = get("/schemas/ids/" + id);
        assertThat(fetched.statusCode()).isEqualTo(200);
        assertThat(fetched.body()).contains("LlmRequest", "contextTokens", "generatedTokens");

        // registering the same schema again is idempotent: same id
        assertThat(intField(post("/subjects/" + subject + "/versions", schemaBody(REQUEST_V1)).body(), "id"))
                .isEqualTo(id);
    }

    @Test
    void shouldAcceptACompatibleChangeAndRejectAnIncompatibleOneUnderBackward() throws Exception {
        String subject = "llm-requests-evolution-value";
        HttpResponse<String> configured = send(HttpRequest.newBuilder(uri("/config/" + subject))
                .header("Content-Type", CONFLUENT_JSON)
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"BACKWARD\"}")));
        assertThat(configured.statusCode()).isEqualTo(200);
        assertThat(configured.body()).contains("BACKWARD");
        assertThat(post("/subjects/" + subject + "/versions", schemaBody(REQUEST_V1)).statusCode()).isEqualTo(200);

        String latest = "/compatibility/subjects/" + subject + "/versions/latest";
        assertThat(post(latest, schemaBody(REQUEST_V2_WITH_DEFAULT)).body()).contains("\"is_compatible\":true");
        assertThat(post(latest, schemaBody(REQUEST_V2_REQUIRED_FIELD)).body()).contains("\"is_compatible\":false");

        // the incompatible one first: against a v2 that has the field, it would be compatible
        HttpResponse<String> incompatible = post("/subjects/" + subject + "/versions", schemaBody(REQUEST_V2_REQUIRED_FIELD));
        assertThat(incompatible.statusCode()).isEqualTo(409);
        HttpResponse<String> compatible = post("/subjects/" + subject + "/versions", schemaBody(REQUEST_V2_WITH_DEFAULT));
        assertThat(compatible.statusCode()).isEqualTo(200);
        assertThat(get("/subjects/" + subject + "/versions").body()).isEqualTo("[1,2]");
    }

    @Test
    void shouldTellHowToBuildTheJarWhenItIsMissing(@TempDir Path dir) {
        assertThatThrownBy(() -> SchemaRegistryProcess.start(dir.resolve("absent.jar"), 0, dir.resolve("r.log")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("mvn -pl devstack-registry install");
    }

    @Test
    void shouldReportTheLogTailWhenTheRegistryDies(@TempDir Path dir) throws IOException {
        Path notAJar = Files.writeString(dir.resolve("broken.jar"), "not a zip archive");

        assertThatThrownBy(() -> SchemaRegistryProcess.start(notAJar, 0, dir.resolve("broken.log")))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("exited with code")
                .hasMessageContaining("Invalid or corrupt jarfile");
    }

    /**
     * A terminal's Ctrl-C signals the whole foreground process group, and JVM shutdown hooks run side by side: the
     * registry must ignore the Ctrl-C and stay up until its owner has closed it, or the apps the owner closes in its
     * hook lose it.
     */
    @Test
    void shouldOutliveCtrlCUntilItsOwnerClosesIt() throws Exception {
        Path workDir = TestPaths.newWorkDir("registry-owner");
        Path ownerLog = workDir.resolve("owner.log");
        // in a session of its own, as a shell's foreground job is, so the signal reaches its group and not ours
        Process owner = new ProcessBuilder("setsid", Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RegistryOwnerMain.class.getName(),
                workDir.resolve("schema-registry.log").toString())
                .redirectErrorStream(true).redirectOutput(ownerLog.toFile()).start();
        try {
            String ready = Await.value("the owner's registry to be ready", Duration.ofSeconds(120),
                    () -> readQuietly(ownerLog), out -> OWNER_READY.matcher(out).find());
            Matcher pid = OWNER_READY.matcher(ready);
            assertThat(pid.find()).isTrue();
            long registryPid = Long.parseLong(pid.group(1));

            // the Ctrl-C, to the group; then a SIGTERM to the owner alone: a JVM keeps ignoring SIGINT when it started
            // with it ignored, as every process of a non-interactive shell's background job does (CI may be one)
            assertThat(new ProcessBuilder("kill", "-INT", "--", "-" + owner.pid()).inheritIO().start().waitFor())
                    .isZero();
            // the owner may have exited of the Ctrl-C already
            new ProcessBuilder("kill", "-TERM", String.valueOf(owner.pid())).inheritIO().start().waitFor();

            assertThat(owner.waitFor(60, TimeUnit.SECONDS)).as("owner exited").isTrue();
            assertThat(Files.readString(ownerLog)).contains("registry at shutdown: 200");
            Await.until("the registry to exit with its owner", Duration.ofSeconds(15),
                    () -> ProcessHandle.of(registryPid).map(p -> !p.isAlive()).orElse(true));
        } finally {
            // after a failure: neither may outlive the test
            owner.descendants().forEach(ProcessHandle::destroyForcibly);
            owner.destroyForcibly();
        }
    }

    /**
     * An owner killed outright (SIGKILL, the OOM killer) runs no shutdown hook: its registry went on running, on the
     * demo's fixed port, and the next demo could not start. The next start in the same place stops it first; but
     * not the registry of an owner still running there (a demo started twice).
     */
    @Test
    void shouldStopARegistryThatAKilledOwnerLeftRunningAtTheNextStartThere() throws Exception {
        Path workDir = TestPaths.newWorkDir("registry-killed-owner");
        Path registryLog = workDir.resolve("schema-registry.log");
        Process owner = startOwner(registryLog, workDir.resolve("owner.log"));
        Process second = null;
        long registryPid = 0;
        try {
            OwnersRegistry left = awaitOwnersRegistry(workDir.resolve("owner.log"));
            registryPid = left.pid();
            owner.destroyForcibly();
            assertThat(owner.waitFor(30, TimeUnit.SECONDS)).as("owner killed").isTrue();
            assertThat(answers(left.url())).as("left running").isTrue();

            try (SchemaRegistryProcess next = SchemaRegistryProcess.start(SchemaRegistryProcess.locateJar(), 0,
                    registryLog)) {
                // killed at last if it did not stop: the kernel may take a moment to reap it
                Await.until("the registry the killed owner left stopped", Duration.ofSeconds(30),
                        () -> stopped(left.pid()));
                assertThat(answers(next.url())).isTrue();

                second = startOwner(registryLog, workDir.resolve("second-owner.log"));
                awaitOwnersRegistry(workDir.resolve("second-owner.log"));
                assertThat(answers(next.url())).as("a live owner's registry").isTrue();
            }
        } finally {
            for (Process p : second == null ? List.of(owner) : List.of(owner, second)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
            }
            if (registryPid != 0) {
                ProcessHandle.of(registryPid).ifPresent(ProcessHandle::destroyForcibly);
            }
        }
    }

    private static Process startOwner(Path registryLog, Path ownerLog) throws IOException {
        return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), RegistryOwnerMain.class.getName(), registryLog.toString())
                .redirectErrorStream(true).redirectOutput(ownerLog.toFile()).start();
    }

    private record OwnersRegistry(long pid, String url) {
    }

    /** The registry the owner logging to {@code ownerLog} started, once it answers. */
    private static OwnersRegistry awaitOwnersRegistry(Path ownerLog) {
        String ready = Await.value("the owner's registry to be ready", Duration.ofSeconds(120),
                () -> readQuietly(ownerLog), out -> OWNER_READY.matcher(out).find());
        Matcher matched = OWNER_READY.matcher(ready);
        assertThat(matched.find()).isTrue();
        return new OwnersRegistry(Long.parseLong(matched.group(1)), matched.group(2));
    }

    /** Gone, or a zombie its new parent has not reaped yet (Java still counts one as alive). */
    private static boolean stopped(long pid) {
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        try {
            String line = Files.readString(stat);
            return line.substring(line.lastIndexOf(')') + 1).trim().startsWith("Z");
        } catch (IOException gone) {
            return true;
        }
    }

    private static boolean answers(String registryUrl) {
        try {
            return send(HttpRequest.newBuilder(URI.create(registryUrl + "/subjects")).GET()).statusCode() == 200;
        } catch (Exception refused) {
            return false;
        }
    }

    private static String readQuietly(Path file) {
        try {
            return Files.isRegularFile(file) ? Files.readString(file) : "";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String schemaBody(String avroSchema) {
        return "{\"schema\":\"" + avroSchema.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "") + "\"}";
    }

    private static int intField(String json, String field) {
        Matcher matcher = Pattern.compile("\"" + field + "\"\\s*:\\s*(\\d+)").matcher(json);
        assertThat(matcher.find()).as("field %s in %s", field, json).isTrue();
        return Integer.parseInt(matcher.group(1));
    }

    private static HttpResponse<String> get(String path) throws Exception {
        return send(HttpRequest.newBuilder(uri(path)).GET());
    }

    private static HttpResponse<String> post(String path, String json) throws Exception {
        return send(HttpRequest.newBuilder(uri(path))
                .header("Content-Type", CONFLUENT_JSON)
                .POST(HttpRequest.BodyPublishers.ofString(json)));
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        // bounded: a registry that stopped answering fails the test instead of hanging it
        return http.send(request.timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static URI uri(String path) {
        return URI.create(registry.url() + path);
    }
}
