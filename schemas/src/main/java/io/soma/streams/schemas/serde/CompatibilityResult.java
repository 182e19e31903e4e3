package io.soma.streams.schemas.serde;

import java.util.List;

/**
 * The registry's verdict on a candidate schema; {@code messages} explain an incompatibility where the registry
 * gives reasons (Confluent's verbose mode), and are empty otherwise.
 */
public record CompatibilityResult(boolean compatible, List<String> messages) {
}
