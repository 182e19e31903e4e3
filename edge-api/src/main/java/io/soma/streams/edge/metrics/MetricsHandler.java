package io.soma.streams.edge.metrics;

import io.javalin.http.Context;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.UnknownHostException;

/** {@code /metrics} in the Prometheus text format. */
public final class MetricsHandler {
    private final PrometheusRegistry registry;
    private final PrometheusTextFormatWriter writer = PrometheusTextFormatWriter.create();

    public MetricsHandler(PrometheusRegistry registry) {
        this.registry = registry;
    }

    /**
     * Whether the public listener, bound to {@code host}, serves {@code /metrics} as well: only when there is no
     * management listener and the public one is on loopback. Series name tenants (decisions, budgets, training per
     * tenant), and {@code /metrics} has no token to check, so it is never on a listener other hosts can reach.
     */
    public static boolean servedOnPublicPort(String host, boolean managementListener) {
        if (managementListener) {
            return false;
        }
        try {
            return InetAddress.getByName(host).isLoopbackAddress();
        } catch (UnknownHostException e) {
            return false;
        }
    }

    public void scrape(Context ctx) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 * 1024);
        writer.write(out, registry.scrape());
        ctx.contentType(writer.getContentType()).result(out.toByteArray());
    }
}
