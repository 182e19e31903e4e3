package io.soma.streams.edge;

import io.soma.streams.edge.auth.KeySeal;
import io.soma.streams.edge.auth.WrapSecretFile;
import io.soma.streams.topologies.runtime.Settings;
import io.soma.streams.edge.config.SomaConfig;
import io.soma.streams.edge.query.PeerCredentials;
import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** What {@code demo} and {@code run} make of their configuration, before anything starts. */
class SomaMainTest {
    private static final String WRAP_SECRET = Settings.envName("identity.keys.wrap.secret");
    private static final String PEER_SECRET = Settings.envName("edge.peer.secret");

    @Test
    void shouldRefuseToRunWithoutAWrapSecret() {
        assertThatThrownBy(() -> SomaMain.configure("run", null, Map.of()))
                .isInstanceOf(Settings.ConfigException.class)
                .hasMessageContaining("identity.keys.wrap.secret")
                .hasMessageContaining(WRAP_SECRET)
                .hasMessageContaining("openssl rand -base64 32");
    }

    @Test
    void shouldRefuseToRunWithoutAPeerSecretOrWithAShortOne() {
        Map<String, String> wrapped = Map.of(WRAP_SECRET, KeySeal.newWrapSecret());
        assertThatThrownBy(() -> SomaMain.configure("run", null, wrapped))
                .isInstanceOf(Settings.ConfigException.class).hasMessageContaining(PEER_SECRET);
        assertThatThrownBy(() -> SomaMain.configure("run", null, Map.of(WRAP_SECRET, KeySeal.newWrapSecret(),
                PEER_SECRET, "too-short"))).isInstanceOf(Settings.ConfigException.class)
                .hasMessageContaining("at least 32 characters");
    }

    /** A rotation: the listener accepts the secret presented and the second one, which must be as long. */
    @Test
    void shouldAcceptASecondPeerSecretAsLongAsTheFirst() {
        String presented = KeySeal.newWrapSecret();
        String next = KeySeal.newWrapSecret();
        Map<String, String> environment = Map.of(WRAP_SECRET, KeySeal.newWrapSecret(), PEER_SECRET, presented,
                Settings.envName("edge.peer.secret.accepted"), next);

        PeerCredentials credentials = PeerCredentials.from(SomaMain.configure("run", null, environment));

        assertThat(credentials.presented()).isEqualTo(presented);
        assertThat(credentials.accepted()).containsExactly(presented, next);
        assertThat(credentials.toString()).doesNotContain(presented, next);
        assertThatThrownBy(() -> SomaMain.configure("run", null, Map.of(WRAP_SECRET, KeySeal.newWrapSecret(),
                PEER_SECRET, presented, Settings.envName("edge.peer.secret.accepted"), "too-short")))
                .isInstanceOf(Settings.ConfigException.class).hasMessageContaining("edge.peer.secret.accepted");
    }

    @Test
    void shouldRunWithTheSecretsItIsGiven() {
        String secret = KeySeal.newWrapSecret();

        SomaConfig config = SomaMain.configure("run", null, Map.of(WRAP_SECRET, secret,
                PEER_SECRET, KeySeal.newWrapSecret()));

        assertThat(config.settings().string("identity.keys.wrap.secret")).isEqualTo(secret);
        assertThat(config.embeddedStack()).isFalse();
    }

    @Test
    void shouldLetTheConfigFileOverrideWhatTheDemoSetsUnlessTold() throws Exception {
        Path dir = TestPaths.newWorkDir("demo-config");
        Path file = dir.resolve("soma.properties");
        Files.writeString(file, "policy.load.examples=false\nconstitution.trusted.keys=prod=/keys/prod.pem\n");
        Map<String, String> environment = Map.of(Settings.envName("stack.data.dir"), dir.resolve("data").toString());

        Settings fromFile = SomaMain.configure("demo", file, environment).settings();
        Settings untold = SomaMain.configure("demo", null, environment).settings();

        assertThat(fromFile.string("policy.load.examples")).isEqualTo("false");
        assertThat(fromFile.string("constitution.trusted.keys")).isEqualTo("prod=/keys/prod.pem");
        assertThat(fromFile.string("marketplace.trusted.keys")).as("what the file does not say").isEqualTo("example");
        assertThat(untold.string("policy.load.examples")).isEqualTo("true");
    }

    @Test
    void shouldRefuseALogFormatThatNamesNoAppenderOfLogbackXml() throws Exception {
        String logback = new String(SomaMain.class.getResourceAsStream("/logback.xml").readAllBytes(),
                java.nio.charset.StandardCharsets.UTF_8);
        for (String format : SomaMain.LOG_FORMATS) {
            assertThat(logback).contains("<appender name=\"" + format + "\"");
            assertThat(SomaMain.logFormatProblem(format)).isNull();
        }
        assertThat(SomaMain.logFormatProblem(null)).isNull();
        assertThat(SomaMain.logFormatProblem("text")).contains("JSON or TEXT", "'text'");
    }

    @Test
    void shouldMakeTheDemosWrapSecretOnceInItsDataDirReadableByItsOwnerOnly() throws Exception {
        Path dataDir = TestPaths.newWorkDir("demo-secret").resolve("data");
        Map<String, String> environment = Map.of(Settings.envName("stack.data.dir"), dataDir.toString());

        String first = SomaMain.configure("demo", null, environment).settings().string("identity.keys.wrap.secret");
        String afterRestart = SomaMain.configure("demo", null, environment).settings()
                .string("identity.keys.wrap.secret");

        assertThat(Base64.getDecoder().decode(first)).hasSize(32);
        assertThat(afterRestart).isEqualTo(first);
        Path file = dataDir.resolve(WrapSecretFile.NAME);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(file))).isEqualTo("rw-------");
        try (var files = Files.list(dataDir)) {
            assertThat(files).as("no temporary file left behind").containsExactly(file);
        }
    }
}
