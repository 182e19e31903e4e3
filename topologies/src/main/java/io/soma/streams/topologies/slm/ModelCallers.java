package io.soma.streams.topologies.slm;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The tenants that have called one model@provider, in the order they first did: the tenants that may see its SLM
 * metrics and alerts. Past {@link #MAX_LISTED} tenants the model is every tenant's to see: no tenant's own model (a
 * fine-tuned one) is called by so many, and the list stays small enough to read on every request and to carry on
 * every alert.
 *
 * @param tenants     the tenants, empty once the model is every tenant's
 * @param everyTenant past {@link #MAX_LISTED} tenants
 */
public record ModelCallers(List<String> tenants, boolean everyTenant) {
    public static final int MAX_LISTED = 64;
    /** A model nobody has called (with a tenant). */
    public static final ModelCallers NONE = new ModelCallers(List.of(), false);
    private static final byte FORMAT_V1 = 1;

    public ModelCallers {
        tenants = List.copyOf(tenants);
    }

    /** These callers and {@code tenant}: this same object when nothing changes, so a caller knows when to store. */
    public ModelCallers with(String tenant) {
        if (everyTenant || tenants.contains(tenant)) {
            return this;
        }
        if (tenants.size() == MAX_LISTED) {
            return new ModelCallers(List.of(), true);
        }
        List<String> more = new ArrayList<>(tenants);
        more.add(tenant);
        return new ModelCallers(more, false);
    }

    public boolean visibleTo(String tenant) {
        return everyTenant || tenants.contains(tenant);
    }

    /**
     * Store format, version 1: byte {@code 1}, a byte {@code 1} when every tenant's (else {@code 0}), the number of
     * tenants as an int, then each tenant as modified UTF-8 ({@link DataOutputStream#writeUTF}).
     */
    public byte[] toBytes() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT_V1);
            out.writeBoolean(everyTenant);
            out.writeInt(tenants.size());
            for (String tenant : tenants) {
                out.writeUTF(tenant);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @param bytes null for a model nobody has called */
    public static ModelCallers fromBytes(byte[] bytes) {
        if (bytes == null) {
            return NONE;
        }
        if (bytes.length < 6 || bytes[0] != FORMAT_V1) {
            throw new IllegalArgumentException("not model callers of format version " + FORMAT_V1);
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 1, bytes.length - 1))) {
            boolean everyTenant = in.readBoolean();
            int count = in.readInt();
            if (count < 0 || count > MAX_LISTED) {
                throw new IllegalArgumentException("model callers listing " + count + " tenants");
            }
            List<String> tenants = new ArrayList<>(count);
            for (int i = 0; i < count; i++) {
                tenants.add(in.readUTF());
            }
            return new ModelCallers(tenants, everyTenant);
        } catch (IOException e) {
            throw new IllegalArgumentException("truncated model callers", e);
        }
    }
}
