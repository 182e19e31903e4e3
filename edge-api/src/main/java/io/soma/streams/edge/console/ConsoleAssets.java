package io.soma.streams.edge.console;

import io.javalin.config.JavalinConfig;
import io.javalin.http.staticfiles.Location;
import io.soma.streams.edge.auth.Access;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * Serves the admin console (the {@code console} module's build, under {@code console/} on the classpath) at
 * {@code /console}. The files are public: the page holds no data, and every call it makes carries the signed-in
 * user's token to the API, which checks it as for any client.
 */
public final class ConsoleAssets {
    private static final Logger log = LoggerFactory.getLogger(ConsoleAssets.class);
    public static final String PATH = "/console";
    private static final String CLASSPATH_DIR = "/console";
    /**
     * No inline script or style, nothing from another origin, no framing: an injected script cannot run, and the
     * page cannot send the token anywhere but this edge.
     */
    public static final String CONTENT_SECURITY_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; "
            + "img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
    private static final Map<String, String> SECURITY_HEADERS = Map.of(
            "Content-Security-Policy", CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options", "nosniff",
            "Referrer-Policy", "no-referrer");

    private ConsoleAssets() {
    }

    /** Adds the console's files to the edge's static files, when the process was built with them. */
    public static void serve(JavalinConfig config) {
        if (ConsoleAssets.class.getResource(CLASSPATH_DIR + "/index.html") == null) {
            log.warn("the console is not on the classpath (build the console module): {} is not served", PATH);
            return;
        }
        // Vite names every asset by its content hash: a changed file gets a new name, so a cached one never goes stale
        serve(config, "/assets", "public, max-age=31536000, immutable");
        // index.html names the current assets: always revalidated (its ETag makes that a 304 when unchanged)
        serve(config, "", "no-cache");
    }

    private static void serve(JavalinConfig config, String subPath, String cacheControl) {
        Map<String, String> headers = new HashMap<>(SECURITY_HEADERS);
        headers.put("Cache-Control", cacheControl);
        config.staticFiles.add(files -> {
            files.hostedPath = PATH + subPath;
            files.directory = CLASSPATH_DIR + subPath;
            files.location = Location.CLASSPATH;
            files.headers = Map.copyOf(headers);
            // static files go through the same before-matched filters as routes: without a token
            files.roles = Set.of(Access.PUBLIC);
        });
    }
}
