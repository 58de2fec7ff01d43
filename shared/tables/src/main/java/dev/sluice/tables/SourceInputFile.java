package dev.sluice.tables;

import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.SeekableInputStream;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;

/** parquet-java's file interfaces over a {@link SourceReads} (ranged reads) and over an output stream. */
final class SourceInputFile implements InputFile {
    private final dev.sluice.execution.FolderStore.Source source;

    SourceInputFile(dev.sluice.execution.FolderStore.Source source) {
        this.source = source;
    }

    @Override
    public long getLength() {
        return source.size();
    }

    @Override
    public SeekableInputStream newStream() {
        SourceReads reads = new SourceReads(source);
        return new SeekableInputStream() {
            @Override
            public long getPos() {
                return reads.position();
            }

            @Override
            public void seek(long newPos) throws IOException {
                reads.seek(newPos);
            }

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                return reads.read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                return reads.read(b, off, len);
            }

            @Override
            public void readFully(byte[] bytes) throws IOException {
                reads.readFully(bytes, 0, bytes.length);
            }

            @Override
            public void readFully(byte[] bytes, int start, int len) throws IOException {
                reads.readFully(bytes, start, len);
            }

            @Override
            public int read(ByteBuffer buf) throws IOException {
                if (buf.hasArray()) {
                    int n = reads.read(buf.array(), buf.arrayOffset() + buf.position(), buf.remaining());
                    if (n > 0) {
                        buf.position(buf.position() + n);
                    }
                    return n;
                }
                byte[] tmp = new byte[Math.min(buf.remaining(), 64 * 1024)];
                int n = reads.read(tmp, 0, tmp.length);
                if (n > 0) {
                    buf.put(tmp, 0, n);
                }
                return n;
            }

            @Override
            public void readFully(ByteBuffer buf) throws IOException {
                while (buf.hasRemaining()) {
                    if (read(buf) < 0) {
                        throw new java.io.EOFException("the file ended " + buf.remaining() + " bytes early");
                    }
                }
            }

            @Override
            public void close() throws IOException {
                reads.close();
            }
        };
    }

    /** An output file that is the stream (it is neither closed nor seeked): parquet-java writes it front to back. */
    static OutputFile onto(OutputStream out) {
        return new OutputFile() {
            @Override
            public PositionOutputStream create(long blockSizeHint) {
                return new PositionOutputStream() {
                    private long position;

                    @Override
                    public long getPos() {
                        return position;
                    }

                    @Override
                    public void write(int b) throws IOException {
                        out.write(b);
                        position++;
                    }

                    @Override
                    public void write(byte[] b, int off, int len) throws IOException {
                        out.write(b, off, len);
                        position += len;
                    }

                    @Override
                    public void flush() throws IOException {
                        out.flush();
                    }

                    @Override
                    public void close() throws IOException {
                        out.flush();
                    }
                };
            }

            @Override
            public PositionOutputStream createOrOverwrite(long blockSizeHint) {
                return create(blockSizeHint);
            }

            @Override
            public boolean supportsBlockSize() {
                return false;
            }

            @Override
            public long defaultBlockSize() {
                return 0;
            }

            @Override
            public String getPath() {
                return "output";
            }
        };
    }
}
