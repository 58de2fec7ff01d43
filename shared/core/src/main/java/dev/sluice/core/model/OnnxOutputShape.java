package dev.sluice.core.model;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Reads the declared shape of an ONNX model's first graph output from the model file's protobuf metadata, without
 * loading the model: {@code ModelProto.graph (7) -> GraphProto.output (12) -> ValueInfoProto.type (2) ->
 * TypeProto.tensor_type (1) -> Tensor.shape (2) -> TensorShapeProto.dim (1) -> dim_value (1) | dim_param (2)}, the
 * field numbers of onnx.proto (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto). Large fields before the
 * outputs (the weights, GraphProto.initializer) are skipped by opening the file again past them (a ranged read),
 * not read through.
 *
 * <p>A dimension is its value, or -1 when it is symbolic ({@code dim_param}, e.g. the batch) or absent. The answer is
 * empty when the file cannot be read as ONNX this way (the model is then checked item by item, as before).
 */
public final class OnnxOutputShape {
    /** Opens the model file from a byte offset. */
    public interface Source {
        InputStream open(long offset) throws IOException;
    }

    /** Fields longer than this are skipped by re-opening the file past them. */
    static final long REOPEN_ABOVE_BYTES = 128 * 1024;
    /** An output's description is small; a longer one is not what this reader expects. */
    static final long MAX_OUTPUT_INFO_BYTES = 1024 * 1024;

    private OnnxOutputShape() {
    }

    /** The dims of the first graph output, in order; -1 for a symbolic or unknown dim. */
    public static Optional<List<Long>> firstOutput(Source source) {
        try (Reader r = new Reader(source)) {
            while (!r.atEnd()) {
                long tag = r.varint();
                int field = (int) (tag >>> 3);
                int wire = (int) (tag & 7);
                if (field == 7 && wire == 2) {
                    long end = r.pos + r.varint();
                    while (r.pos < end) {
                        long gtag = r.varint();
                        int gfield = (int) (gtag >>> 3);
                        int gwire = (int) (gtag & 7);
                        if (gfield == 12 && gwire == 2) {
                            long length = r.varint();
                            if (length > MAX_OUTPUT_INFO_BYTES) {
                                return Optional.empty();
                            }
                            return Optional.of(dims(r.bytes((int) length)));
                        }
                        r.skip(gwire);
                    }
                    return Optional.empty();
                }
                r.skip(wire);
            }
            return Optional.empty();
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    /** ValueInfoProto bytes to dims. */
    private static List<Long> dims(byte[] valueInfo) throws IOException {
        byte[] type = field(valueInfo, 2);
        byte[] tensor = type == null ? null : field(type, 1);
        byte[] shape = tensor == null ? null : field(tensor, 2);
        if (shape == null) {
            throw new IOException("no tensor shape");
        }
        List<Long> dims = new ArrayList<>();
        Reader r = new Reader(shape);
        while (!r.atEnd()) {
            long tag = r.varint();
            if (tag >>> 3 == 1 && (tag & 7) == 2) {
                Reader d = new Reader(r.bytes((int) r.varint()));
                long value = -1;
                while (!d.atEnd()) {
                    long dtag = d.varint();
                    if (dtag >>> 3 == 1 && (dtag & 7) == 0) {
                        value = d.varint();
                    } else {
                        d.skip((int) (dtag & 7));
                    }
                }
                dims.add(value);
            } else {
                r.skip((int) (tag & 7));
            }
        }
        return dims;
    }

    /** The last occurrence of a length-delimited field of a message, or null. */
    private static byte[] field(byte[] message, int number) throws IOException {
        Reader r = new Reader(message);
        byte[] found = null;
        while (!r.atEnd()) {
            long tag = r.varint();
            if (tag >>> 3 == number && (tag & 7) == 2) {
                found = r.bytes((int) r.varint());
            } else {
                r.skip((int) (tag & 7));
            }
        }
        return found;
    }

    /** A protobuf wire-format reader over a file (re-opened to skip far) or a byte array. */
    private static final class Reader implements AutoCloseable {
        private final Source source;
        private final byte[] array;
        private InputStream in;
        long pos;
        private int peeked = -2;

        Reader(Source source) throws IOException {
            this.source = source;
            this.array = null;
            this.in = open(0);
        }

        Reader(byte[] array) {
            this.source = null;
            this.array = array;
        }

        boolean atEnd() throws IOException {
            if (array != null) {
                return pos >= array.length;
            }
            if (peeked == -2) {
                peeked = in.read();
            }
            return peeked < 0;
        }

        int read() throws IOException {
            int b;
            if (array != null) {
                if (pos >= array.length) {
                    throw new EOFException();
                }
                b = array[(int) pos] & 0xff;
            } else {
                b = peeked != -2 ? peeked : in.read();
                peeked = -2;
                if (b < 0) {
                    throw new EOFException();
                }
            }
            pos++;
            return b;
        }

        long varint() throws IOException {
            long value = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                int b = read();
                value |= (long) (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    return value;
                }
            }
            throw new IOException("malformed varint");
        }

        byte[] bytes(int length) throws IOException {
            if (length < 0) {
                throw new IOException("negative length");
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream(Math.min(length, 1 << 16));
            for (int i = 0; i < length; i++) {
                out.write(read());
            }
            return out.toByteArray();
        }

        /** Skips the value of a field of the given wire type. */
        void skip(int wire) throws IOException {
            switch (wire) {
                case 0 -> varint();
                case 1 -> skipBytes(8);
                case 2 -> skipBytes(varint());
                case 5 -> skipBytes(4);
                default -> throw new IOException("unsupported wire type " + wire);
            }
        }

        private void skipBytes(long n) throws IOException {
            if (n < 0) {
                throw new IOException("negative length");
            }
            if (array != null) {
                if (pos + n > array.length) {
                    throw new EOFException();
                }
                pos += n;
                return;
            }
            long left = n;
            if (peeked != -2) {
                if (peeked < 0) {
                    throw new EOFException();
                }
                peeked = -2;
                left--;
            }
            if (left <= REOPEN_ABOVE_BYTES) {
                in.skipNBytes(left);
            } else {
                in.close();
                in = open(pos + n);
            }
            pos += n;
        }

        private InputStream open(long offset) throws IOException {
            return new java.io.BufferedInputStream(source.open(offset), 64 * 1024);
        }

        @Override
        public void close() {
            if (in != null) {
                try {
                    in.close();
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
    }
}
