package io.soma.streams.topologies.forecast;

import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Map;
import java.util.TreeMap;

/**
 * Every forecaster of one tenant, by provider and model: the value of the forecast app's store, keyed by tenant,
 * so the edge answers {@code GET /v1/forecast/{tenant}} with one key lookup and can forecast any horizon from the
 * models themselves.
 */
public record TenantForecasters(String tenant, Map<ModelKey, TokenForecaster> models) {
    private static final int FORMAT_VERSION = 1;

    /** Absent provider or model on an event is this value in keys and records. */
    public static final String UNKNOWN = "unknown";

    public record ModelKey(String provider, String model) implements Comparable<ModelKey> {
        @Override
        public int compareTo(ModelKey other) {
            int byProvider = provider.compareTo(other.provider);
            return byProvider != 0 ? byProvider : model.compareTo(other.model);
        }
    }

    public TenantForecasters {
        models = new TreeMap<>(models);
    }

    public static TenantForecasters empty(String tenant) {
        return new TenantForecasters(tenant, Map.of());
    }

    /**
     * Version 1: byte version, UTF tenant, int count, then per model UTF provider, UTF model, int length and the
     * forecaster's own {@link TokenForecaster#toBytes()}.
     */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT_VERSION);
            out.writeUTF(tenant);
            out.writeInt(models.size());
            for (Map.Entry<ModelKey, TokenForecaster> e : models.entrySet()) {
                out.writeUTF(e.getKey().provider());
                out.writeUTF(e.getKey().model());
                byte[] state = e.getValue().toBytes();
                out.writeInt(state.length);
                out.write(state);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    public static TenantForecasters fromBytes(byte[] bytes) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            int version = in.readUnsignedByte();
            if (version != FORMAT_VERSION) {
                throw new IllegalArgumentException("unknown tenant forecasters version " + version);
            }
            String tenant = in.readUTF();
            int count = in.readInt();
            Map<ModelKey, TokenForecaster> models = new TreeMap<>();
            for (int i = 0; i < count; i++) {
                ModelKey key = new ModelKey(in.readUTF(), in.readUTF());
                models.put(key, TokenForecaster.fromBytes(in.readNBytes(in.readInt())));
            }
            return new TenantForecasters(tenant, models);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated tenant forecasters", e);
        }
    }

    public static Serde<TenantForecasters> serde() {
        Serializer<TenantForecasters> serializer = (topic, value) -> value == null ? null : value.toBytes();
        Deserializer<TenantForecasters> deserializer = (topic, bytes) -> bytes == null ? null : fromBytes(bytes);
        return Serdes.serdeFrom(serializer, deserializer);
    }
}
