package io.soma.streams.topologies.runtime;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Flat key/value settings in three layers: built-in defaults, an optional properties file, then the
 * environment. A key {@code kafka.bootstrap.servers} is overridden by {@code SOMA_KAFKA_BOOTSTRAP_SERVERS}.
 */
public final class Settings {
    private static final String DEFAULTS = "/soma-defaults.properties";
    private final Map<String, String> values;

    private Settings(Map<String, String> values) {
        this.values = values;
    }

    public static Settings load(Path file, Map<String, String> environment) {
        return load(Map.of(), file, environment);
    }

    /**
     * The defaults, then {@code commandDefaults} (by key: what a command such as the demo sets unless told
     * otherwise), then the file, then the environment.
     */
    public static Settings load(Map<String, String> commandDefaults, Path file, Map<String, String> environment) {
        Map<String, String> merged = new TreeMap<>();
        try (InputStream in = Settings.class.getResourceAsStream(DEFAULTS)) {
            merged.putAll(read(in));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + DEFAULTS, e);
        }
        merged.putAll(commandDefaults);
        if (file != null) {
            try (Reader in = Files.newBufferedReader(file)) {
                Properties p = new Properties();
                p.load(in);
                p.stringPropertyNames().forEach(k -> merged.put(k, p.getProperty(k).trim()));
            } catch (IOException e) {
                throw new ConfigException("cannot read the configuration file " + file + ": " + e.getMessage());
            }
        }
        for (String key : Map.copyOf(merged).keySet()) {
            String override = environment.get(envName(key));
            if (override != null) {
                merged.put(key, override.trim());
            }
        }
        return new Settings(merged);
    }

    /** Settings from an explicit map, over the defaults; for tests and embedding. */
    public static Settings of(Map<String, String> overrides) {
        Settings defaults = load(null, Map.of());
        Map<String, String> merged = new TreeMap<>(defaults.values);
        merged.putAll(overrides);
        return new Settings(merged);
    }

    public static String envName(String key) {
        return "SOMA_" + key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    public String string(String key) {
        String value = values.get(key);
        if (value == null) {
            throw new ConfigException("missing setting " + key + " (env " + envName(key) + ")");
        }
        return value;
    }

    public String stringOrNull(String key) {
        String value = values.get(key);
        return value == null || value.isEmpty() ? null : value;
    }

    public int integer(String key) {
        try {
            return Integer.parseInt(string(key));
        } catch (NumberFormatException e) {
            throw new ConfigException("setting " + key + " must be an integer, got '" + values.get(key) + "'");
        }
    }

    /** An integer no smaller than {@code min}: a count of zero threads or places starts a process that does nothing. */
    public int integerAtLeast(String key, int min) {
        int value = integer(key);
        if (value < min) {
            throw new ConfigException("setting " + key + " must be at least " + min + ", got " + value);
        }
        return value;
    }

    public double decimal(String key) {
        try {
            return Double.parseDouble(string(key));
        } catch (NumberFormatException e) {
            throw new ConfigException("setting " + key + " must be a number, got '" + values.get(key) + "'");
        }
    }

    public boolean bool(String key) {
        String value = string(key);
        if (!value.equalsIgnoreCase("true") && !value.equalsIgnoreCase("false")) {
            throw new ConfigException("setting " + key + " must be true or false, got '" + value + "'");
        }
        return Boolean.parseBoolean(value);
    }

    public Duration duration(String key) {
        try {
            return Duration.parse(string(key));
        } catch (RuntimeException e) {
            throw new ConfigException("setting " + key + " must be an ISO-8601 duration like PT10M, got '"
                    + values.get(key) + "'");
        }
    }

    /** All settings under {@code prefix.}, with the prefix removed. */
    public Map<String, String> withPrefix(String prefix) {
        Map<String, String> out = new TreeMap<>();
        values.forEach((k, v) -> {
            if (k.startsWith(prefix + ".")) {
                out.put(k.substring(prefix.length() + 1), v);
            }
        });
        return out;
    }

    private static Map<String, String> read(InputStream in) throws IOException {
        Properties p = new Properties();
        p.load(in);
        Map<String, String> out = new TreeMap<>();
        p.stringPropertyNames().forEach(k -> out.put(k, p.getProperty(k).trim()));
        return out;
    }

    public static final class ConfigException extends RuntimeException {
        public ConfigException(String message) {
            super(message);
        }
    }
}
