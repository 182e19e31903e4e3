package io.soma.streams.edge.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.IOException;

import static org.assertj.core.api.Assertions.assertThat;

class JsonErrorHandlerTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void shouldTellAClientToRetryAJetty503AndNotCallItAnInternalError() throws IOException {
        JsonNode unavailable = JSON.readTree(JsonErrorHandler.body(503));
        assertThat(unavailable.get("error").asText()).isEqualTo("not_ready");
        assertThat(unavailable.get("message").asText()).contains("try again");

        JsonNode failed = JSON.readTree(JsonErrorHandler.body(500));
        assertThat(failed.get("error").asText()).isEqualTo("internal");
        JsonNode unreadable = JSON.readTree(JsonErrorHandler.body(400));
        assertThat(unreadable.get("error").asText()).isEqualTo("bad_request");
        assertThat(unreadable.get("message").asText()).isEqualTo("the request could not be read");
    }
}
