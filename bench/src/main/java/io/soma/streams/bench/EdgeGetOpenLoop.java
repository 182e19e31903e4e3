package io.soma.streams.bench;

import org.eclipse.jetty.client.HttpClient;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpStatus;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.soma.streams.bench.BenchOutput.log;

/**
 * A GET of the edge at fixed rates ({@link OpenLoop}): the stricter check of an interactive-query latency aim that
 * closed-loop wrk runs cannot make (wrk 4 has no fixed-rate mode). Every request carries the bearer token of
 * {@code TOKEN} and must answer 200; anything else counts as failed. {@code bench/run-edge-open-loop.sh} starts the
 * edge and runs it.
 * <p>
 * The client is Jetty's (the same Jetty the edge serves with), asynchronous over at most {@code bench.connections}
 * keep-alive connections; a request due while all are busy waits in its queue, and that wait is charged to it.
 * <p>
 * Usage: {@code EdgeGetOpenLoop <url>}; settings (system properties): {@code bench.rates} (500,1000,2000 requests/s),
 * {@code bench.seconds} (15 per rate), {@code bench.warmup.seconds} (10 at the first rate, not counted),
 * {@code bench.connections} (16).
 */
public final class EdgeGetOpenLoop {
    private EdgeGetOpenLoop() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 1) {
            System.err.println("usage: EdgeGetOpenLoop <url>   (TOKEN: the bearer token)");
            System.exit(2);
        }
        String token = System.getenv("TOKEN");
        List<Integer> rates = Arrays.stream(System.getProperty("bench.rates", "500,1000,2000").split(","))
                .map(s -> Integer.parseInt(s.trim())).toList();
        int seconds = Integer.getInteger("bench.seconds", 15);
        int warmupSeconds = Integer.getInteger("bench.warmup.seconds", 10);
        HttpClient client = new HttpClient();
        client.setMaxConnectionsPerDestination(Integer.getInteger("bench.connections", 16));
        // the open loop queues what the connections cannot take yet: never refuse it
        client.setMaxRequestsQueuedPerDestination(Integer.MAX_VALUE);
        client.start();
        try {
            OpenLoop.Result warmup = OpenLoop.drive(rates.get(0), rates.get(0) * warmupSeconds,
                    i -> get(client, args[0], token));
            log("warm-up (not counted): %s, failed %,d", warmup.latencies(), warmup.failed());
            List<OpenLoop.Result> results = new ArrayList<>();
            for (int rate : rates) {
                OpenLoop.Result result = OpenLoop.drive(rate, rate * seconds, i -> get(client, args[0], token));
                results.add(result);
                log("%s", format(result));
            }
            BenchOutput.table("| requests/s offered | requests | answered/s | p50 ms | p90 ms | p99 ms | p99.9 ms"
                    + " | max ms | failed | driver late max ms | load (1 min) |",
                    results.stream().map(EdgeGetOpenLoop::format).toList());
        } finally {
            client.stop();
        }
    }

    /** Completes when the answer is in, exceptionally unless it is a 200. */
    private static CompletableFuture<Integer> get(HttpClient client, String url, String token) {
        CompletableFuture<Integer> answered = new CompletableFuture<>();
        client.newRequest(url).headers(h -> h.put(HttpHeader.AUTHORIZATION, "Bearer " + token))
                .timeout(30, TimeUnit.SECONDS)
                .send(result -> {
                    if (result.isFailed()) {
                        answered.completeExceptionally(result.getFailure());
                    } else if (result.getResponse().getStatus() != HttpStatus.OK_200) {
                        answered.completeExceptionally(new IllegalStateException(
                                "answered " + result.getResponse().getStatus()));
                    } else {
                        answered.complete(HttpStatus.OK_200);
                    }
                });
        return answered;
    }

    private static String format(OpenLoop.Result r) {
        return String.format("| %s | %,d | %.1f | %s |", r.latencies(), r.failed(), r.maxLateMs(), r.load());
    }
}
