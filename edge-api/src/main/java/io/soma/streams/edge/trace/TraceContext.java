package io.soma.streams.edge.trace;

import io.javalin.http.Context;
import org.slf4j.MDC;

import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * W3C trace context at the edge: a request's {@code traceparent} is accepted (or a new trace is started),
 * its trace id goes into the log MDC as {@code trace_id}, the response echoes the {@code traceparent}, and
 * {@link TraceparentInterceptor} carries it into the headers of what the request publishes to Kafka.
 */
public final class TraceContext {
    public static final String HEADER = "traceparent";
    static final String MDC_TRACEPARENT = "traceparent";
    static final String MDC_TRACE_ID = "trace_id";
    private static final Pattern VALID = Pattern.compile("^[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$");
    private static final SecureRandom RANDOM = new SecureRandom();

    private TraceContext() {
    }

    /** Before every request. */
    public static void begin(Context ctx) {
        String incoming = ctx.header(HEADER);
        String traceId;
        if (incoming != null && VALID.matcher(incoming.trim()).matches()
                && !incoming.trim().substring(3, 35).equals("0".repeat(32))) {
            traceId = incoming.trim().substring(3, 35);
        } else {
            traceId = hex(16);
        }
        // this hop is a new span of the same trace
        String traceparent = "00-" + traceId + "-" + hex(8) + "-01";
        MDC.put(MDC_TRACE_ID, traceId);
        MDC.put(MDC_TRACEPARENT, traceparent);
        ctx.header(HEADER, traceparent);
    }

    /** After every request: the thread serves other requests next. */
    public static void end(Context ctx) {
        MDC.remove(MDC_TRACE_ID);
        MDC.remove(MDC_TRACEPARENT);
    }

    private static String hex(int bytes) {
        byte[] b = new byte[bytes];
        RANDOM.nextBytes(b);
        return HexFormat.of().formatHex(b);
    }
}
