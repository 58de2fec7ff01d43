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
 * libraries parquet already brings: Snappy (snappy-java), ZSTD (zstd-jni), GZIP (the JDK), and none; BROTLI with
 * Google's Java decoder (org.brotli:dec), LZ4_RAW and LZ4 (Hadoop framing) with commons-compress's LZ4 block decoder.
 * Every codec pyarrow writes is read (pandas' compression="snappy", "gzip", "zstd", "brotli", "lz4", and "lz4_raw");
 * LZO (no writer in pyarrow) fails naming the codec. Writing is SNAPPY only.
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
            case BROTLI -> {
                try (var br = new org.brotli.dec.BrotliInputStream(new ByteArrayInputStream(in))) {
                    yield br.readNBytes(uncompressedSize + 1);
                }
            }
            case LZ4_RAW -> lz4Block(in, 0, in.length);
            case LZ4 -> lz4Hadoop(in, uncompressedSize);
            default -> throw unsupported(codec);
        };
        if (out.length != uncompressedSize) {
            throw new IOException("a " + codec + " page decompressed to " + out.length + " bytes, not " + uncompressedSize);
        }
        return out;
    }

    /** One raw LZ4 block (Parquet's LZ4_RAW), with commons-compress's block decoder. */
    private static byte[] lz4Block(byte[] in, int offset, int length) throws IOException {
        try (var lz4 = new org.apache.commons.compress.compressors.lz4.BlockLZ4CompressorInputStream(
                new ByteArrayInputStream(in, offset, length))) {
            return lz4.readAllBytes();
        }
    }

    /**
     * Parquet's deprecated LZ4 codec as Arrow, parquet-java and Hadoop write it: blocks of [uncompressed length,
     * compressed length (4 bytes each, big-endian), a raw LZ4 block]; a page that does not parse as such blocks is
     * one raw LZ4 block (older writers), as Arrow's reader falls back (arrow/cpp/src/arrow/util/compression_lz4.cc,
     * Lz4HadoopCodec).
     */
    private static byte[] lz4Hadoop(byte[] in, int uncompressedSize) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(Math.max(uncompressedSize, 0));
        ByteBuffer b = ByteBuffer.wrap(in);
        boolean framed = true;
        while (framed && b.remaining() >= 8) {
            int decompressed = b.getInt();
            int compressed = b.getInt();
            if (compressed < 0 || compressed > b.remaining() || decompressed < 0) {
                framed = false;
                break;
            }
            byte[] block = lz4Block(in, b.position(), compressed);
            if (block.length != decompressed) {
                framed = false;
                break;
            }
            out.write(block);
            b.position(b.position() + compressed);
        }
        return framed && b.remaining() == 0 ? out.toByteArray() : lz4Block(in, 0, in.length);
    }

    private static byte[] gzip(byte[] in) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (GZIPOutputStream gz = new GZIPOutputStream(out)) {
            gz.write(in);
        }
        return out.toByteArray();
    }

    private static IOException unsupported(CompressionCodecName codec) {
        return new IOException("Parquet pages compressed with " + codec + " are not supported (SNAPPY, GZIP, ZSTD,"
                + " BROTLI, LZ4, LZ4_RAW and UNCOMPRESSED are; LZO is not)");
    }

    @Override
    public void release() {
    }
}
