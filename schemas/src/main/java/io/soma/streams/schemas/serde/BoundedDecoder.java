package io.soma.streams.schemas.serde;

import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.Decoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.util.Utf8;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;

/**
 * Avro's binary decoder over a whole payload, refusing a string, bytes, array or map longer than the bytes left
 * before Avro allocates for it. Avro allocates what a length prefix says first: ten bytes saying "two billion" made a
 * 2 GB array, an {@link OutOfMemoryError} that no exception handler catches, and a process that crashed again on the
 * same record at every start.
 * <p>
 * An array or map item takes at least one byte in every schema of this project (none has an array of nulls or of
 * empty records), so a count is bounded by the bytes left too.
 */
final class BoundedDecoder extends Decoder {
    private final byte[] payload;
    private final BinaryDecoder in;
    private final InputStream left;

    BoundedDecoder(byte[] payload, int offset) {
        this.payload = payload;
        this.in = DecoderFactory.get().binaryDecoder(payload, offset, payload.length - offset, null);
        // the decoder's own view of its buffer: available() is what it has not read yet
        this.left = in.inputStream();
    }

    boolean isEnd() throws IOException {
        return in.isEnd();
    }

    @Override
    public Utf8 readString(Utf8 old) throws IOException {
        requireLengthPrefixWithinPayload("string");
        return in.readString(old);
    }

    @Override
    public String readString() throws IOException {
        requireLengthPrefixWithinPayload("string");
        return in.readString();
    }

    @Override
    public ByteBuffer readBytes(ByteBuffer old) throws IOException {
        requireLengthPrefixWithinPayload("bytes");
        return in.readBytes(old);
    }

    @Override
    public long readArrayStart() throws IOException {
        return withinPayload(in.readArrayStart(), "array");
    }

    @Override
    public long arrayNext() throws IOException {
        return withinPayload(in.arrayNext(), "array");
    }

    @Override
    public long readMapStart() throws IOException {
        return withinPayload(in.readMapStart(), "map");
    }

    @Override
    public long mapNext() throws IOException {
        return withinPayload(in.mapNext(), "map");
    }

    /** Reads the varint length at the decoder's position without consuming it, and refuses more than what follows. */
    private void requireLengthPrefixWithinPayload(String what) throws IOException {
        int position = payload.length - left.available();
        long zigzag = 0;
        int shift = 0;
        int at = position;
        for (; at < payload.length && shift < 64; at++, shift += 7) {
            zigzag |= (long) (payload[at] & 0x7f) << shift;
            if ((payload[at] & 0x80) == 0) {
                long length = (zigzag >>> 1) ^ -(zigzag & 1);
                int following = payload.length - at - 1;
                if (length > following) {
                    throw new EOFException(what + " of " + length + " bytes where " + following + " are left");
                }
                return;
            }
        }
        // a length prefix cut short or over ten bytes: Avro reports it without allocating
    }

    private long withinPayload(long count, String what) throws IOException {
        int following = left.available();
        if (count > following) {
            throw new EOFException(what + " of " + count + " items where " + following + " bytes are left");
        }
        return count;
    }

    @Override
    public void readNull() throws IOException {
        in.readNull();
    }

    @Override
    public boolean readBoolean() throws IOException {
        return in.readBoolean();
    }

    @Override
    public int readInt() throws IOException {
        return in.readInt();
    }

    @Override
    public long readLong() throws IOException {
        return in.readLong();
    }

    @Override
    public float readFloat() throws IOException {
        return in.readFloat();
    }

    @Override
    public double readDouble() throws IOException {
        return in.readDouble();
    }

    @Override
    public void skipString() throws IOException {
        in.skipString();
    }

    @Override
    public void skipBytes() throws IOException {
        in.skipBytes();
    }

    @Override
    public void readFixed(byte[] bytes, int start, int length) throws IOException {
        in.readFixed(bytes, start, length);
    }

    @Override
    public void skipFixed(int length) throws IOException {
        in.skipFixed(length);
    }

    @Override
    public int readEnum() throws IOException {
        return in.readEnum();
    }

    @Override
    public long skipArray() throws IOException {
        return in.skipArray();
    }

    @Override
    public long skipMap() throws IOException {
        return in.skipMap();
    }

    @Override
    public int readIndex() throws IOException {
        return in.readIndex();
    }
}
