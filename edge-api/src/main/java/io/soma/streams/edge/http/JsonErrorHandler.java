package io.soma.streams.edge.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.handler.ErrorHandler;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Jetty's own error answers, for what never reaches Javalin's handlers (a request Jetty cannot parse, a failure in a
 * filter), as the edge's JSON errors: Jetty's default page is HTML and shows the exception's stack trace, which names
 * the server's code and libraries.
 */
public final class JsonErrorHandler extends ErrorHandler {
    private static final ObjectMapper JSON = new ObjectMapper();

    public JsonErrorHandler() {
        setShowStacks(false);
        setShowServlet(false);
        setShowMessageInTitle(false);
    }

    @Override
    protected void generateAcceptableResponse(Request baseRequest, HttpServletRequest request,
                                              HttpServletResponse response, int code, String message)
            throws IOException {
        baseRequest.setHandled(true);
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.getOutputStream().write(body(code));
    }

    @Override
    public ByteBuffer badMessageError(int status, String reason, HttpFields.Mutable fields) {
        fields.put(HttpHeader.CONTENT_TYPE, "application/json");
        return ByteBuffer.wrap(body(status));
    }

    /**
     * The status's name and a message that says no more than the status does. A 503 (Jetty overloaded, or stopping)
     * says to try again, as the edge's own 503s do; any other 5xx is an internal error.
     */
    static byte[] body(int status) {
        String error = status == 503 ? ErrorResponses.errorName(503)
                : status >= 500 ? "internal" : ErrorResponses.errorName(status);
        String message = status == 503 ? "the server cannot take this request now; try again"
                : status >= 500 ? "internal error; see the server log" : "the request could not be read";
        try {
            return JSON.writeValueAsBytes(ErrorResponses.body(error, message, Map.of()));
        } catch (JsonProcessingException e) {
            return "{}".getBytes(StandardCharsets.UTF_8);
        }
    }
}
