package dev.sluice.tables;

import dev.sluice.execution.FolderStore;

import java.io.IOException;
import java.io.InputStream;

/**
 * Positioned reads of a {@link FolderStore.Source}: one open stream that reads on while the reads are sequential,
 * and a new one (a new ranged GET on S3) where a read seeks elsewhere, the old one dropped unread. A Parquet file
 * costs a GET for its footer and one for each run of consecutive row groups; nothing is copied to disk.
 */
final class SourceReads implements java.io.Closeable {
    private final FolderStore.Source source;
    private long position;
    private InputStream stream;
    private long streamPosition;

    SourceReads(FolderStore.Source source) {
        this.source = source;
    }

    long size() {
        return source.size();
    }

    long position() {
        return position;
    }

    void seek(long to) throws IOException {
        if (to < 0 || to > source.size()) {
            throw new java.io.EOFException("seek to " + to + " outside the file's " + source.size() + " bytes");
        }
        position = to;
    }

    /** Up to length bytes at the position (fewer only at the end: -1 there). */
    int read(byte[] into, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (position >= source.size()) {
            return -1;
        }
        if (stream == null || streamPosition != position) {
            drop();
            stream = source.from(position);
            streamPosition = position;
        }
        int n = stream.read(into, offset, (int) Math.min(length, source.size() - position));
        if (n > 0) {
            position += n;
            streamPosition += n;
        }
        return n;
    }

    void readFully(byte[] into, int offset, int length) throws IOException {
        while (length > 0) {
            int n = read(into, offset, length);
            if (n < 0) {
                throw new java.io.EOFException("the file ended " + length + " bytes before the read's end");
            }
            offset += n;
            length -= n;
        }
    }

    private void drop() throws IOException {
        if (stream != null) {
            InputStream s = stream;
            stream = null;
            s.close();
        }
    }

    @Override
    public void close() throws IOException {
        drop();
    }
}
