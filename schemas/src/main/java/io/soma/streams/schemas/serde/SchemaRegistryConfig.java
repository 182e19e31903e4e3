package io.soma.streams.schemas.serde;

import io.soma.streams.schemas.RedactedUrl;

import org.apache.kafka.common.config.ConfigException;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Registry settings, read from Kafka-style config maps under the Confluent serde key names so the same
 * properties work in producer, consumer and Streams configs.
 *
 * @param url             base URL of the Confluent-compatible API, e.g. {@code http://127.0.0.1:8081/apis/ccompat/v7};
 *                        its user info, if any, is the basic auth when {@code basicAuthUserInfo} is null
 * @param basicAuthUserInfo {@code user:password} for HTTP basic auth, or null
 * @param maxRetries      retries after a connection error or 5xx (bounded, exponential backoff)
 * @param requestTimeout  timeout of each HTTP request
 */
public record SchemaRegistryConfig(String url, String basicAuthUserInfo, int maxRetries, Duration requestTimeout) {
    public static final String URL = "schema.registry.url";
    public static final String BASIC_AUTH_USER_INFO = "basic.auth.user.info";
    public static final String MAX_RETRIES = "schema.registry.max.retries";
    public static final String REQUEST_TIMEOUT_MS = "schema.registry.request.timeout.ms";
    /** Serializer: register the record's schema if the subject lacks it (true), or only look it up (false). */
    public static final String AUTO_REGISTER = "auto.register.schemas";

    public static final int DEFAULT_MAX_RETRIES = 3;
    public static final Duration DEFAULT_REQUEST_TIMEOUT = Duration.ofSeconds(10);

    public SchemaRegistryConfig {
        if (url == null || url.isBlank()) {
            throw new ConfigException(URL, url, "the schema registry URL is required");
        }
        URI parsed;
        try {
            parsed = RedactedUrl.parse(URL, url);
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
        if (parsed.getRawUserInfo() != null) {
            // Java's HTTP client sends nothing of a URL's user info: it becomes the basic auth, unless that is set
            if (basicAuthUserInfo == null) {
                basicAuthUserInfo = URLDecoder.decode(parsed.getRawUserInfo().replace("+", "%2B"), StandardCharsets.UTF_8);
            }
            url = url.replaceFirst(Pattern.quote(parsed.getRawUserInfo() + "@"), "");
        }
        if (maxRetries < 0) {
            throw new ConfigException(MAX_RETRIES, maxRetries, "must be >= 0");
        }
    }

    /** Without the basic-auth password, nor one in the URL: a config may be logged. */
    @Override
    public String toString() {
        return "SchemaRegistryConfig[url=" + RedactedUrl.of(url) + ", basicAuthUserInfo="
                + (basicAuthUserInfo == null ? null : RedactedUrl.MASK) + ", maxRetries=" + maxRetries
                + ", requestTimeout=" + requestTimeout + "]";
    }

    public static SchemaRegistryConfig of(String url) {
        return new SchemaRegistryConfig(url, null, DEFAULT_MAX_RETRIES, DEFAULT_REQUEST_TIMEOUT);
    }

    /**
     * One attempt per call, with a patient timeout: for a caller that retries on its own terms, where each attempt
     * must show (a follower reading a record again, a test counting connections through a cut proxy).
     */
    public static SchemaRegistryConfig oneAttempt(String url) {
        return new SchemaRegistryConfig(url, null, 0, Duration.ofSeconds(30));
    }

    public static SchemaRegistryConfig from(Map<String, ?> config) {
        Object url = config.get(URL);
        Object userInfo = config.get(BASIC_AUTH_USER_INFO);
        return new SchemaRegistryConfig(
                url == null ? null : url.toString(),
                userInfo == null || userInfo.toString().isBlank() ? null : userInfo.toString(),
                intValue(config, MAX_RETRIES, DEFAULT_MAX_RETRIES),
                Duration.ofMillis(intValue(config, REQUEST_TIMEOUT_MS, (int) DEFAULT_REQUEST_TIMEOUT.toMillis())));
    }

    static boolean autoRegister(Map<String, ?> config) {
        Object value = config.get(AUTO_REGISTER);
        return value == null || Boolean.parseBoolean(value.toString());
    }

    private static int intValue(Map<String, ?> config, String key, int fallback) {
        Object value = config.get(key);
        if (value == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new ConfigException(key, value, "not an integer");
        }
    }
}
