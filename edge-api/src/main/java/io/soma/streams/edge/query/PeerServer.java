package io.soma.streams.edge.query;

import io.javalin.Javalin;
import io.javalin.http.Context;
import io.soma.streams.edge.http.ApiException;
import io.soma.streams.edge.http.ErrorResponses;
import io.soma.streams.edge.http.JsonErrorHandler;
import io.soma.streams.stores.query.PeerClient;
import io.soma.streams.stores.query.StoreQueryService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.List;

/**
 * The listener instances use to ask each other for store entries they hold (interactive queries), apart from the
 * public API: the public edge has no such route, and this one answers only a caller that presents the peer credential
 * every instance of the deployment shares ({@link StoreQueryService#PEER_CREDENTIAL_HEADER}); anyone else gets 404,
 * as if nothing listened. A forwarded query carries the tenant it acts for, and the stores check it again.
 */
public final class PeerServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(PeerServer.class);
    /** Forwarded queries have no body. */
    private static final long MAX_REQUEST_BYTES = 4096;

    private final Javalin app;

    private PeerServer(Javalin app) {
        this.app = app;
    }

    /** @param credentials the secrets a caller may present: this deployment's, and during a rotation another */
    public static PeerServer start(String host, int port, List<String> credentials, StoreLookups stores) {
        List<byte[]> expected = credentials.stream().map(c -> c.getBytes(StandardCharsets.UTF_8)).toList();
        Javalin app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.maxRequestSize = MAX_REQUEST_BYTES;
            config.jetty.modifyServer(server -> server.setErrorHandler(new JsonErrorHandler()));
            config.jetty.modifyServletContextHandler(context -> context.setErrorHandler(new JsonErrorHandler()));
        });
        ErrorResponses.install(app);
        app.before(ctx -> requireCredential(ctx, expected));
        app.get(PeerClient.INTERNAL_PATH + "/{store}/keys/{key}", stores::peerLookup);
        app.get(PeerClient.INTERNAL_PATH + "/{store}/windows/{key}", stores::peerWindows);
        app.get(PeerClient.INTERNAL_PATH + "/{store}/groups/{group}", stores::peerGroup);
        app.get(PeerClient.INTERNAL_PATH + "/{store}/groups/{group}/entries/{member}", stores::peerGroupEntry);
        app.start(host, port);
        log.info("peer listener on http://{}:{}", host, app.port());
        return new PeerServer(app);
    }

    private static void requireCredential(Context ctx, List<byte[]> expected) {
        String presented = ctx.header(PeerClient.PEER_CREDENTIAL_HEADER);
        // constant time, against every secret: the comparisons must not tell how much of a guess was right
        boolean known = false;
        if (presented != null) {
            byte[] bytes = presented.getBytes(StandardCharsets.UTF_8);
            for (byte[] secret : expected) {
                known |= MessageDigest.isEqual(secret, bytes);
            }
        }
        if (!known) {
            throw ApiException.notFound("not found");
        }
        ctx.header(PeerClient.PEER_ANSWER_HEADER, "1");
    }

    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }
}
