package io.soma.streams.edge;

import io.javalin.Javalin;
import io.soma.streams.edge.health.HealthHandler;
import io.soma.streams.edge.metrics.MetricsHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import static io.javalin.apibuilder.ApiBuilder.get;

/**
 * The optional management listener ({@code edge.management.port}): {@code /metrics} and the readiness answer that
 * says why a check fails, which names hosts and ports. It has no authentication: keep it off the public network
 * (bound to 127.0.0.1 by default, {@code edge.management.host}).
 */
public final class ManagementServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ManagementServer.class);
    private final Javalin app;

    private ManagementServer(Javalin app) {
        this.app = app;
    }

    public static ManagementServer start(String host, int port, HealthHandler health, MetricsHandler metrics) {
        Javalin app = EdgeServer.create(config -> config.router.apiBuilder(() -> {
            get("/health/live", health::live);
            get("/health/ready", health::readyInDetail);
            get("/metrics", metrics::scrape);
        }));
        app.start(host, port);
        log.info("management listening on http://{}:{}", host, app.port());
        return new ManagementServer(app);
    }

    public int port() {
        return app.port();
    }

    @Override
    public void close() {
        app.stop();
    }
}
