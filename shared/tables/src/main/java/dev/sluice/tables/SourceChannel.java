package dev.sluice.tables;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;

/** A read-only {@link SeekableByteChannel} over a {@link SourceReads} (Arrow's file reader seeks to its blocks). */
final class SourceChannel implements SeekableByteChannel {
    private final SourceReads reads;
    private boolean open = true;

    SourceChannel(SourceReads reads) {
        this.reads = reads;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
        if (!dst.hasRemaining()) {
            return 0;
        }
        if (dst.hasArray()) {
            int n = reads.read(dst.array(), dst.arrayOffset() + dst.position(), dst.remaining());
            if (n > 0) {
                dst.position(dst.position() + n);
            }
            return n;
        }
        byte[] tmp = new byte[Math.min(dst.remaining(), 64 * 1024)];
        int n = reads.read(tmp, 0, tmp.length);
        if (n > 0) {
            dst.put(tmp, 0, n);
        }
        return n;
    }

    @Override
    public int write(ByteBuffer src) {
        throw new NonWritableChannelException();
    }

    @Override
    public long position() {
        return reads.position();
    }

    @Override
    public SeekableByteChannel position(long newPosition) throws IOException {
        reads.seek(Math.min(newPosition, reads.size()));
        return this;
    }

    @Override
    public long size() {
        return reads.size();
    }

    @Override
    public SeekableByteChannel truncate(long size) {
        throw new NonWritableChannelException();
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void close() throws IOException {
        open = false;
        reads.close();
    }
}
