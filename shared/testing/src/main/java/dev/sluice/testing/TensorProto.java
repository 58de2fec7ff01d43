package dev.sluice.testing;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the float tensors of the ONNX reference files (TensorProto: dims = field 1, data_type = field 2,
 * name = field 8, raw_data = field 9, little-endian floats). Just enough protobuf for those files.
 */
public record TensorProto(long[] dims, float[] data) {
    public static TensorProto parse(byte[] bytes) {
        List<Long> dims = new ArrayList<>();
        float[] data = null;
        int[] pos = {0};
        while (pos[0] < bytes.length) {
            long key = varint(bytes, pos);
            int field = (int) (key >>> 3);
            int wire = (int) (key & 7);
            if (wire == 0) {
                long v = varint(bytes, pos);
                if (field == 1) {
                    dims.add(v);
                }
            } else if (wire == 2) {
                int len = (int) varint(bytes, pos);
                if (field == 1) {
                    int end = pos[0] + len;
                    while (pos[0] < end) {
                        dims.add(varint(bytes, pos));
                    }
                } else {
                    if (field == 9) {
                        ByteBuffer buf = ByteBuffer.wrap(bytes, pos[0], len).order(ByteOrder.LITTLE_ENDIAN);
                        data = new float[len / 4];
                        buf.asFloatBuffer().get(data);
                    }
                    pos[0] += len;
                }
            } else if (wire == 5) {
                pos[0] += 4;
            } else if (wire == 1) {
                pos[0] += 8;
            } else {
                throw new IllegalArgumentException("unsupported wire type " + wire);
            }
        }
        return new TensorProto(dims.stream().mapToLong(Long::longValue).toArray(), data);
    }

    private static long varint(byte[] b, int[] pos) {
        long result = 0;
        int shift = 0;
        while (true) {
            byte x = b[pos[0]++];
            result |= (long) (x & 0x7f) << shift;
            if ((x & 0x80) == 0) {
                return result;
            }
            shift += 7;
        }
    }
}
