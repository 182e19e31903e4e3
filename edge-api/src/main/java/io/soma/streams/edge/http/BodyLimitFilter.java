package io.soma.streams.edge.http;

import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Refuses request bodies over the limit with a JSON 413, ahead of Javalin, so on every route and before
 * authentication reads anything. Javalin's own limit trusts Content-Length: a chunked body has none, and a handler
 * reading it would buffer it whole. Here a declared length over the limit is refused unread, and a body without
 * one is read up to the limit and refused as soon as it passes it.
 */
public final class BodyLimitFilter implements Filter {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** How much more than the limit a refused body may be read, at most, so its sender hears the 413. */
    private static final int DRAIN_LIMIT_FACTOR = 4;
    private final int maxBytes;

    public BodyLimitFilter(int maxBytes) {
        this.maxBytes = maxBytes;
    }

    @Override
    public void doFilter(ServletRequest req, ServletResponse res, FilterChain chain)
            throws IOException, ServletException {
        HttpServletRequest request = (HttpServletRequest) req;
        long declared = request.getContentLengthLong();
        if (declared > maxBytes) {
            refuse(request, (HttpServletResponse) res);
            return;
        }
        if (declared < 0 && request.getHeader("Transfer-Encoding") != null) {
            byte[] body;
            try {
                body = request.getInputStream().readNBytes(maxBytes + 1);
            } catch (IOException e) {
                // a chunked encoding that breaks off or is malformed: the client's fault, not the server's
                answer((HttpServletResponse) res, 400, ErrorResponses.body("bad_request",
                        "the request body could not be read: its chunked encoding is malformed or cut off", Map.of()));
                return;
            }
            if (body.length > maxBytes) {
                refuse(request, (HttpServletResponse) res);
                return;
            }
            chain.doFilter(new BufferedBody(request, body), res);
            return;
        }
        chain.doFilter(req, res);
    }

    private void refuse(HttpServletRequest request, HttpServletResponse response) throws IOException {
        answer(response, 413, ErrorResponses.body("payload_too_large",
                "the request body is larger than " + maxBytes + " bytes", Map.of("limit_bytes", maxBytes)));
        // a client still sending when the connection closes on unread data gets a reset, not the 413: take (and
        // drop) a bounded part more, so a body somewhat over the limit is answered; a far larger one is cut off
        drain(request, DRAIN_LIMIT_FACTOR * (long) maxBytes);
    }

    /** Answers at once; the rest of the body is not read in full, so this connection cannot carry another request. */
    private static void answer(HttpServletResponse response, int status, Map<String, Object> body) throws IOException {
        response.setStatus(status);
        response.setContentType("application/json");
        response.setHeader("Connection", "close");
        JSON.writeValue(response.getOutputStream(), body);
        response.flushBuffer();
    }

    private static void drain(HttpServletRequest request, long limit) {
        byte[] sink = new byte[8192];
        long read = 0;
        try {
            var in = request.getInputStream();
            for (int n; read < limit && (n = in.read(sink, 0, (int) Math.min(sink.length, limit - read))) > 0; ) {
                read += n;
            }
        } catch (IOException e) {
            // the client went away: nothing left to drain
        }
    }

    /** A request whose body has been read already, handed on as its bytes. */
    private static final class BufferedBody extends HttpServletRequestWrapper {
        private final byte[] body;

        BufferedBody(HttpServletRequest request, byte[] body) {
            super(request);
            this.body = body;
        }

        @Override
        public int getContentLength() {
            return body.length;
        }

        @Override
        public long getContentLengthLong() {
            return body.length;
        }

        @Override
        public ServletInputStream getInputStream() {
            ByteArrayInputStream in = new ByteArrayInputStream(body);
            return new ServletInputStream() {
                @Override
                public boolean isFinished() {
                    return in.available() == 0;
                }

                @Override
                public boolean isReady() {
                    return true;
                }

                @Override
                public void setReadListener(ReadListener listener) {
                    throw new UnsupportedOperationException("the body is already read: read it blocking");
                }

                @Override
                public int read() {
                    return in.read();
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    return in.read(b, off, len);
                }
            };
        }

        @Override
        public BufferedReader getReader() {
            String encoding = getCharacterEncoding();
            Charset charset = encoding == null ? StandardCharsets.UTF_8 : Charset.forName(encoding);
            return new BufferedReader(new InputStreamReader(getInputStream(), charset));
        }
    }
}
