package io.soma.streams.edge;

import io.javalin.Javalin;
import io.javalin.config.JavalinConfig;
import jakarta.servlet.DispatcherType;
import io.javalin.router.ParsedEndpoint;
import io.javalin.security.RouteRole;
import io.soma.streams.edge.console.ConsoleAssets;
import io.soma.streams.edge.http.BodyLimitFilter;
import io.soma.streams.edge.http.ErrorResponses;
import io.soma.streams.edge.http.JsonErrorHandler;
import io.soma.streams.edge.metrics.EdgeMetrics;
import io.soma.streams.edge.trace.TraceContext;
import org.eclipse.jetty.server.AbstractConnector;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.StatisticsHandler;
import org.eclipse.jetty.servlet.FilterHolder;
import org.eclipse.jetty.servlet.ServletContextHandler;
import org.eclipse.jetty.util.component.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/** The Javalin edge: REST + SSE on one port; every route is declared in {@link EdgeRoutes}. */
public final class EdgeServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(EdgeServer.class);
    /** Larger bodies are refused with 413 before any handler, authentication included, sees them. */
    static final int MAX_REQUEST_BYTES = 1024 * 1024;
    /**
     * The buffer Javalin copies each response body through, allocated anew for every response (Jetty's own output
     * buffer, pooled, is not changed by it). Javalin's default is Jetty's 32 KiB, which was the largest allocation
     * on the request path under load (docs/benchmarks.md); most answers are well under 4 KiB, and a larger one is
     * copied in more chunks into the same Jetty buffer.
     */
    static final int RESPONSE_COPY_BUFFER_BYTES = 4 * 1024;
    /**
     * How long a stop waits for the requests in progress once the listener is closed: a step waits up to
     * {@code edge.reply.timeout} (10 s by default) for its reply. Cut off, a caller retries what may have been done.
     */
    static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);
    /**
     * How long a stop lets a kept-alive connection with no request in it stay open: Jetty's graceful stop waits for
     * every connection to close, and a client's idle pooled one would otherwise hold each stop for a second.
     */
    private static final Duration IDLE_CONNECTION_AT_STOP = Duration.ofMillis(100);

    private final Javalin app;

    private EdgeServer(Javalin app) {
        this.app = app;
    }

    public static EdgeServer start(String host, int port, EdgeRoutes routes, EdgeMetrics metrics) {
        Javalin app = create(config -> {
            config.router.apiBuilder(routes::declare);
            ConsoleAssets.serve(config);
        });
        app.before(TraceContext::begin);
        app.after(TraceContext::end);
        routes.beforeMatched().forEach(app::beforeMatched);
        metrics.install(app);
        app.start(host, port);
        log.info("edge listening on http://{}:{}", host, app.port());
        return new EdgeServer(app);
    }

    /** A Javalin app as every listener of the process has it: JSON errors, the body limit, no banner. */
    static Javalin create(Consumer<JavalinConfig> routes) {
        Javalin app = Javalin.create(config -> {
            config.showJavalinBanner = false;
            config.http.maxRequestSize = MAX_REQUEST_BYTES;
            config.http.responseBufferSize = RESPONSE_COPY_BUFFER_BYTES;
            config.jetty.modifyServletContextHandler(EdgeServer::limitBodies);
            config.jetty.modifyServer(server -> {
                server.setErrorHandler(new JsonErrorHandler());
                // Javalin's handlers go inside it; it counts the requests in progress, which a graceful stop waits for
                server.setHandler(new StatisticsHandler());
                server.setStopTimeout(STOP_TIMEOUT.toMillis());
                server.addEventListener(closingIdleConnectionsAtStop(server));
            });
            routes.accept(config);
        });
        ErrorResponses.install(app);
        return app;
    }

    /** Once the server has started, when its connectors exist: they let idle connections go fast at a stop. */
    private static LifeCycle.Listener closingIdleConnectionsAtStop(Server server) {
        return new LifeCycle.Listener() {
            @Override
            public void lifeCycleStarted(LifeCycle event) {
                for (Connector connector : server.getConnectors()) {
                    if (connector instanceof AbstractConnector c) {
                        c.setShutdownIdleTimeout(IDLE_CONNECTION_AT_STOP.toMillis());
                    }
                }
            }
        };
    }

    /** Puts {@link BodyLimitFilter} ahead of Javalin's servlet. */
    private static void limitBodies(ServletContextHandler context) {
        FilterHolder holder = new FilterHolder(new BodyLimitFilter(MAX_REQUEST_BYTES));
        holder.setAsyncSupported(true); // the SSE routes go async behind it
        context.addFilter(holder, "/*", EnumSet.of(DispatcherType.REQUEST));
        context.setErrorHandler(new JsonErrorHandler());
    }

    public int port() {
        return app.port();
    }

    /** A route as Javalin registered it, with its declared roles: what docs/openapi.yaml is checked against. */
    public record Route(String method, String path, Set<RouteRole> roles) {
    }

    /** Every HTTP route Javalin registered (before/after filters excluded). */
    public List<Route> routes() {
        return app.unsafeConfig().pvt.internalRouter.allHttpHandlers().stream()
                .map(ParsedEndpoint::getEndpoint)
                .filter(endpoint -> endpoint.getMethod().isHttpMethod())
                .map(endpoint -> new Route(endpoint.getMethod().name(), endpoint.getPath(), endpoint.getRoles()))
                .toList();
    }

    /** Closes the listener, then waits up to {@link #STOP_TIMEOUT} for the requests in progress to be answered. */
    @Override
    public void close() {
        app.stop();
    }
}
