package io.soma.streams.stores.query;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.soma.streams.schemas.BoundedHttp;
import org.apache.kafka.streams.state.HostInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/**
 * Asks another instance's peer listener for store entries, with the credential every instance of a deployment shares
 * and the tenant the query acts for. An answer without {@link #PEER_ANSWER_HEADER} is a refused credential.
 */
public final class PeerClient {
    /**
     * The routes every instance serves for its peers: {@code /internal/stores/{store}/keys/{key}} and
     * {@code /internal/stores/{store}/windows/{key}?from=&to=} (epoch milliseconds) and
     * {@code /internal/stores/{store}/groups/{group}}.
     */
    public static final String INTERNAL_PATH = "/internal/stores";
    /** The secret every instance of a deployment shares; a peer listener answers nothing without it. */
    public static final String PEER_CREDENTIAL_HEADER = "X-Soma-Peer-Credential";
    /** The tenant a forwarded query acts for; absent for stores of data no tenant owns. */
    public static final String TENANT_HEADER = "X-Soma-Tenant";
    /**
     * On every answer of a peer that accepted the credential: a 404 without it is a refused credential (a
     * misconfigured instance), not a missing key, and must not read as one.
     */
    public static final String PEER_ANSWER_HEADER = "X-Soma-Peer";
    private static final Logger log = LoggerFactory.getLogger(PeerClient.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A peer's whole answer, body included. */
    private static final Duration ANSWER_LIMIT = Duration.ofSeconds(5);

    private final String peerCredential;
    /** HTTP/1.1: an exchange abandoned past its limit closes its connection ({@link BoundedHttp}). */
    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2)).build();

    /** The tenant a forwarded query acts for, from its {@link #TENANT_HEADER}; null when it names none. */
    public static String forwardedTenant(String header) {
        return header == null ? null : URLDecoder.decode(header, StandardCharsets.UTF_8);
    }

    /** @param peerCredential the secret shared by every instance, sent with each forwarded query */
    public PeerClient(String peerCredential) {
        this.peerCredential = peerCredential;
    }

    /** @param path what follows {@code /internal/stores/{store}}, already encoded */
    QueryResult ask(HostInfo owner, String storeName, String path, String tenant)
            throws IOException {
        URI uri = URI.create("http://" + owner.host() + ":" + owner.port() + INTERNAL_PATH + "/"
                + encode(storeName) + path);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri).timeout(ANSWER_LIMIT).GET()
                .header(PEER_CREDENTIAL_HEADER, peerCredential);
        if (tenant != null) {
            // a header holds Latin-1 only, and an operator may name any tenant
            request.header(TENANT_HEADER, URLEncoder.encode(tenant, StandardCharsets.UTF_8));
        }
        try {
            HttpResponse<String> response = BoundedHttp.send(http, request.build(), ANSWER_LIMIT);
            log.debug("forwarded {}{} to {}: {}", storeName, path, owner, response.statusCode());
            if (response.headers().firstValue(PEER_ANSWER_HEADER).isEmpty()) {
                log.warn("peer {} refused this instance's credential: is edge.peer.secret the same on every instance?",
                        owner);
                throw new IOException("peer " + owner + " refused the peer credential");
            }
            return switch (response.statusCode()) {
                case 200 -> QueryResult.found(JSON.readTree(response.body()));
                case 404 -> QueryResult.notFound();
                // the peer lost the partition mid-rebalance: ask the metadata again
                default -> throw new IOException("peer " + owner + " answered " + response.statusCode());
            };
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking " + owner, e);
        }
    }

    static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
