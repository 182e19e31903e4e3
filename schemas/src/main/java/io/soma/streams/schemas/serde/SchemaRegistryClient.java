package io.soma.streams.schemas.serde;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.soma.streams.schemas.BoundedHttp;
import io.soma.streams.schemas.RedactedUrl;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParseException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A client of the documented Confluent Schema Registry REST API (served by Confluent, Apicurio's ccompat
 * layer, Karapace, Redpanda). Thread-safe; schemas fetched by id are cached for good, since ids are immutable.
 */
public class SchemaRegistryClient {
    private static final Logger log = LoggerFactory.getLogger(SchemaRegistryClient.class);
    private static final String CONTENT_TYPE = "application/vnd.schemaregistry.v1+json";
    private static final Duration FIRST_BACKOFF = Duration.ofMillis(100);
    private static final Duration MAX_BACKOFF = Duration.ofSeconds(2);
    private static final int REGISTER_ROUNDS = 3;

    private final ObjectMapper json = new ObjectMapper();
    private final SchemaRegistryConfig config;
    private final String baseUrl;
    private final String authorization;
    private final HttpClient http;
    private final Map<Integer, Schema> schemasById = new ConcurrentHashMap<>();

    public SchemaRegistryClient(SchemaRegistryConfig config) {
        this.config = config;
        this.baseUrl = config.url().endsWith("/") ? config.url().substring(0, config.url().length() - 1) : config.url();
        this.authorization = config.basicAuthUserInfo() == null ? null
                : "Basic " + Base64.getEncoder().encodeToString(config.basicAuthUserInfo().getBytes(StandardCharsets.UTF_8));
        // HTTP/1.1: an exchange abandoned past its limit closes its connection; over HTTP/2 the next calls would
        // share the stalled one
        this.http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(config.requestTimeout())
                .build();
    }

    public SchemaRegistryClient(String url) {
        this(SchemaRegistryConfig.of(url));
    }

    public String url() {
        return baseUrl;
    }

    /**
     * Registers {@code schema} under {@code subject} (or finds it there) and returns its global id. Idempotent when
     * instances register the same new subject at once. Apicurio then answers the losers 409 "already exists" (the
     * status of an incompatible schema too), or 500 when its database lost the race (a duplicate content row, a
     * lock timeout), also after the retries of a loaded machine. Either way the winner's registration is there:
     * the id is looked up, and only if the subject does not hold the schema is it registered again.
     */
    public int register(String subject, Schema schema) {
        for (int round = 1; ; round++) {
            try {
                return remember(call("POST", "/subjects/" + encode(subject) + "/versions", schemaBody(schema)), schema, subject);
            } catch (SchemaRegistryException e) {
                if (!e.isConflict() && !e.isServerError()) {
                    throw e;
                }
                Optional<Integer> existing = find(subject, schema);
                if (existing.isPresent()) {
                    return existing.get();
                }
                if (round >= REGISTER_ROUNDS) {
                    throw e; // the subject really refuses it, or the registry keeps failing
                }
            }
        }
    }

    private Optional<Integer> find(String subject, Schema schema) {
        try {
            return Optional.of(lookup(subject, schema));
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** The id under which {@code schema} is already registered in {@code subject}; 404 if it is not. */
    public int lookup(String subject, Schema schema) {
        return remember(call("POST", "/subjects/" + encode(subject), schemaBody(schema)), schema, subject);
    }

    /** The schema with global id {@code id}; 404 if the registry does not know it. */
    public Schema schemaById(int id) {
        Schema cached = schemasById.get(id);
        if (cached != null) {
            return cached;
        }
        Schema fetched = parse(call("GET", "/schemas/ids/" + id, null), "schema id " + id);
        Schema raced = schemasById.putIfAbsent(id, fetched);
        return raced == null ? fetched : raced;
    }

    public RegisteredSchema latest(String subject) {
        JsonNode body = call("GET", "/subjects/" + encode(subject) + "/versions/latest", null);
        return new RegisteredSchema(body.path("subject").asText(subject), body.path("id").asInt(),
                body.path("version").asInt(), parse(body, "latest version of " + subject));
    }

    /** Checks {@code schema} against the latest version of {@code subject} under the subject's rule. */
    public CompatibilityResult checkCompatibility(String subject, Schema schema) {
        JsonNode body = call("POST", "/compatibility/subjects/" + encode(subject) + "/versions/latest?verbose=true",
                schemaBody(schema));
        List<String> messages = new ArrayList<>();
        body.path("messages").forEach(message -> messages.add(message.asText()));
        return new CompatibilityResult(body.path("is_compatible").asBoolean(false), List.copyOf(messages));
    }

    /** The subject's own compatibility rule, or empty when it has none (the global default then applies). */
    public Optional<CompatibilityLevel> compatibility(String subject) {
        try {
            JsonNode body = call("GET", "/config/" + encode(subject), null);
            String level = body.path("compatibilityLevel").asText(body.path("compatibility").asText(""));
            // a level this client does not know (a registry's own extension) is none it can rely on
            return Arrays.stream(CompatibilityLevel.values()).filter(l -> l.name().equals(level)).findFirst();
        } catch (SchemaRegistryException e) {
            if (e.isNotFound()) {
                return Optional.empty();
            }
            throw e;
        }
    }

    public void setCompatibility(String subject, CompatibilityLevel level) {
        ObjectNode body = json.createObjectNode().put("compatibility", level.name());
        try {
            call("PUT", "/config/" + encode(subject), body);
        } catch (SchemaRegistryException e) {
            if (!e.isConflict()) {
                throw e;
            }
            // Apicurio keeps the level as a rule it creates on the first PUT; instances setting it at once get
            // 409 "rule already exists". The rule is there now, so the same PUT again updates it.
            call("PUT", "/config/" + encode(subject), body);
        }
    }

    private int remember(JsonNode body, Schema schema, String subject) {
        int id = body.path("id").asInt(-1);
        if (id < 0) {
            throw new SchemaRegistryException("schema id for " + subject, 200, 0, "answer without an id: " + body, null);
        }
        schemasById.putIfAbsent(id, schema);
        return id;
    }

    private ObjectNode schemaBody(Schema schema) {
        return json.createObjectNode().put("schema", schema.toString());
    }

    private static Schema parse(JsonNode body, String what) {
        String type = body.path("schemaType").asText("AVRO");
        if (!"AVRO".equals(type)) {
            throw new SchemaRegistryException(what, 200, 0, "is a " + type + " schema, not Avro", null);
        }
        try {
            return new Schema.Parser().parse(body.path("schema").asText());
        } catch (SchemaParseException e) {
            throw new SchemaRegistryException(what, 200, 0, "unparseable Avro schema: " + e.getMessage(), e);
        }
    }

    private JsonNode call(String method, String path, JsonNode body) {
        String request = method + " " + RedactedUrl.of(baseUrl) + path; // it goes into logs and exceptions
        HttpRequest.Builder builder = HttpRequest.newBuilder(URI.create(baseUrl + path))
                .timeout(config.requestTimeout())
                .header("Accept", CONTENT_TYPE)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(body.toString(), StandardCharsets.UTF_8));
        if (body != null) {
            builder.header("Content-Type", CONTENT_TYPE);
        }
        if (authorization != null) {
            builder.header("Authorization", authorization);
        }
        HttpRequest httpRequest = builder.build();
        Duration backoff = FIRST_BACKOFF;
        for (int attempt = 0; ; attempt++) {
            SchemaRegistryException failure;
            try {
                HttpResponse<String> response = BoundedHttp.send(http, httpRequest, config.requestTimeout());
                if (response.statusCode() / 100 == 2) {
                    return json.readTree(response.body());
                }
                failure = errorOf(request, response);
            } catch (IOException e) {
                failure = new SchemaRegistryException(request, SchemaRegistryException.NO_RESPONSE, 0, e.toString(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new SchemaRegistryException(request, SchemaRegistryException.NO_RESPONSE, 0, "interrupted", e);
            }
            if (!failure.isTransient() || attempt >= config.maxRetries()) {
                throw failure;
            }
            // a random share of the backoff: instances that failed together (a lock timeout in the registry's
            // database) would otherwise retry together and collide again
            Duration pause = backoff.dividedBy(2).plusMillis(ThreadLocalRandom.current().nextLong(backoff.toMillis() / 2 + 1));
            log.warn("{}; retry {} of {} in {} ms", failure.getMessage(), attempt + 1, config.maxRetries(), pause.toMillis());
            sleep(pause, request);
            backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
        }
    }

    private SchemaRegistryException errorOf(String request, HttpResponse<String> response) {
        int errorCode = 0;
        String message = response.body();
        try {
            JsonNode error = json.readTree(response.body());
            errorCode = error.path("error_code").asInt(0);
            message = error.path("message").asText(message);
        } catch (IOException notJson) {
            // a proxy or a plain-text error page: keep the body as the message
        }
        return new SchemaRegistryException(request, response.statusCode(), errorCode, message, null);
    }

    private static void sleep(Duration backoff, String request) {
        try {
            Thread.sleep(backoff.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SchemaRegistryException(request, SchemaRegistryException.NO_RESPONSE, 0, "interrupted", e);
        }
    }

    private static String encode(String segment) {
        return URLEncoder.encode(segment, StandardCharsets.UTF_8).replace("+", "%20");
    }
}
