package dev.sluice.tables;

import com.github.luben.zstd.Zstd;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.compression.CompressionCodecFactory;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.xerial.snappy.Snappy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/**
 * Parquet's page codecs without Hadoop: parquet-hadoop's own codec factory goes through Hadoop's Configuration (and
 * its XML parser, collections …), so the codecs that pandas, Spark and DuckDB write are done here directly with the
 * libraries parquet already brings: Snappy (snappy-java), ZSTD (zstd-jni), GZIP (the JDK), and none.
 */
final class ParquetCodecs implements CompressionCodecFactory {
    static final ParquetCodecs INSTANCE = new ParquetCodecs();

    private ParquetCodecs() {
    }

    @Override
    public BytesInputCompressor getCompressor(CompressionCodecName codec) {
        return new BytesInputCompressor() {
            @Override
            public BytesInput compress(BytesInput bytes) throws IOException {
                byte[] in = bytes.toByteArray();
                return BytesInput.from(switch (codec) {
                    case UNCOMPRESSED -> in;
                    case SNAPPY -> Snappy.compress(in);
                    case ZSTD -> Zstd.compress(in, 3);
                    case GZIP -> gzip(in);
                    default -> throw unsupported(codec);
                });
            }

            @Override
            public CompressionCodecName getCodecName() {
                return codec;
            }

            @Override
            public void release() {
            }
        };
    }

    @Override
    public BytesInputDecompressor getDecompressor(CompressionCodecName codec) {
        return new BytesInputDecompressor() {
            @Override
            public BytesInput decompress(BytesInput bytes, int uncompressedSize) throws IOException {
                return BytesInput.from(decompressBytes(codec, bytes.toByteArray(), uncompressedSize));
            }

            @Override
            public void decompress(ByteBuffer input, int compressedSize, ByteBuffer output, int uncompressedSize)
                    throws IOException {
                byte[] in = new byte[compressedSize];
                input.get(in);
                output.put(decompressBytes(codec, in, uncompressedSize));
            }

            @Override
            public void release() {
            }
        };
    }

    private static byte[] decompressBytes(CompressionCodecName codec, byte[] in, int uncompressedSize)
            throws IOException {
        byte[] out = switch (codec) {
            case UNCOMPRESSED -> in;
            case SNAPPY -> Snappy.uncompress(in);
            case ZSTD -> Zstd.decompress(in, uncompressedSize);
            case GZIP -> {
                try (GZIPInputStream gz = new GZIPInputStream(new ByteArrayInputStream(in))) {
                    yield gz.readAllBytes();
                }
            }
            default -> throw unsupported(codec);
        };
        if (out.length != uncompressedSize) {
            throw new IOException("a " + codec + " page decompressed to " + out.length + " bytes, not " + uncompressedSize);
        }
        return out;
    }

    private static byte[] gzip(byte[] in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(in);
        }
        return out.toByteArray();
    }

    private static IOException unsupported(CompressionCodecName codec) {
        return new IOException("Parquet pages compressed with " + codec + " are not supported (SNAPPY, ZSTD, GZIP"
                + " and UNCOMPRESSED are)");
    }

    @Override
    public void release() {
    }
}
