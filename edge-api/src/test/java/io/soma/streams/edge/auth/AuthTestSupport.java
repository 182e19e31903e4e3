package io.soma.streams.edge.auth;

import io.soma.streams.testkit.TestPaths;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;

/** Real tenant ids from the ServeGen trace, and random secrets as the edge makes them. */
final class AuthTestSupport {
    private AuthTestSupport() {
    }

    /** The first {@code count} client ids ("tenants") of the ServeGen m-large trace. */
    static List<String> realTenants(int count) {
        Path file = TestPaths.dataDir().resolve("servegen-language/servegen_m-large.csv");
        try (BufferedReader in = Files.newBufferedReader(file)) {
            return in.lines().skip(1).map(line -> line.substring(0, line.indexOf(','))).distinct().limit(count).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + file, e);
        }
    }

    static byte[] randomBytes() {
        byte[] secret = new byte[32];
        new SecureRandom().nextBytes(secret);
        return secret;
    }

    /** 256 random bits, as an API key is made. */
    static String randomKey() {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(randomBytes());
    }
}
