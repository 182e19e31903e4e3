package io.soma.streams.edge.console;

import io.soma.streams.edge.EdgeFixture;
import io.soma.streams.edge.auth.IdentitySlice;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** The console's files as the edge serves them: public, under a strict policy, cached by what they are. */
class ConsoleServingIT {
    private static final Pattern SCRIPT_TAG = Pattern.compile("<script([^>]*)>");
    private static final Pattern ASSET = Pattern.compile("/console/assets/[\\w.-]+\\.js");
    private static EdgeFixture edge;

    @BeforeAll
    static void start() {
        edge = EdgeFixture.withSlices(List.of(IdentitySlice::start), Map.of()).awaitReady();
    }

    @AfterAll
    static void stop() {
        if (edge != null) {
            edge.close();
        }
    }

    @Test
    void shouldServeThePageWithoutATokenUnderAPolicyThatRefusesInlineScript() {
        HttpResponse<String> page = edge.get("/console/", null);

        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.headers().firstValue("Content-Type")).hasValueSatisfying(type -> assertThat(type).startsWith("text/html"));
        assertThat(page.headers().firstValue("Content-Security-Policy")).contains(ConsoleAssets.CONTENT_SECURITY_POLICY);
        assertThat(ConsoleAssets.CONTENT_SECURITY_POLICY).contains("script-src 'self';").doesNotContain("unsafe");
        assertThat(page.headers().firstValue("Cache-Control")).contains("no-cache");
        Matcher scripts = SCRIPT_TAG.matcher(page.body());
        assertThat(scripts.find()).as("the page loads a script").isTrue();
        do {
            assertThat(scripts.group(1)).as("every script is a file, none inline").contains("src=");
        } while (scripts.find());
    }

    @Test
    void shouldMarkHashedAssetsImmutable() {
        Matcher asset = ASSET.matcher(edge.get("/console/", null).body());
        assertThat(asset.find()).isTrue();

        HttpResponse<String> script = edge.get(asset.group(), null);

        assertThat(script.statusCode()).isEqualTo(200);
        assertThat(script.headers().firstValue("Cache-Control")).contains("public, max-age=31536000, immutable");
        assertThat(script.headers().firstValue("Content-Security-Policy")).contains(ConsoleAssets.CONTENT_SECURITY_POLICY);
    }

    @Test
    void shouldKeepTheApiClosedToCallersWithoutAToken() {
        assertThat(edge.get("/v1/tenants", null).statusCode()).isEqualTo(401);
        assertThat(edge.get("/console/no-such-file.js", null).statusCode()).isEqualTo(404);
    }
}
