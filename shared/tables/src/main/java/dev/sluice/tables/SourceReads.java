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

    /** How many times a read opens a new stream at its position after the open one broke or ended early. */
    private static final int ATTEMPTS = 3;

    /**
     * Up to length bytes at the position (fewer only at the end: -1 there). A stream that fails or ends before the
     * file's end (a connection the store or a proxy dropped while the task was busy between row groups: S3Mock ends
     * one with "Premature EOF") is dropped and the read done again from a new stream at the same position, up to
     * {@link #ATTEMPTS} times; then the failure is the store's ({@link FolderStore.UnavailableException}: the task
     * is retried). A file changed meanwhile fails as {@link FolderStore.ChangedException} when the new stream opens.
     */
    int read(byte[] into, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        if (position >= source.size()) {
            return -1;
        }
        for (int attempt = 1; ; attempt++) {
            if (stream == null || streamPosition != position) {
                dropQuietly();
                stream = source.from(position);
                streamPosition = position;
            }
            IOException failure;
            try {
                int n = stream.read(into, offset, (int) Math.min(length, source.size() - position));
                if (n > 0) {
                    position += n;
                    streamPosition += n;
                    return n;
                }
                failure = new java.io.EOFException("the stream ended at byte " + position + " of " + source.size());
            } catch (FolderStore.ChangedException e) {
                throw e;
            } catch (IOException e) {
                failure = e;
            }
            dropQuietly();
            if (attempt >= ATTEMPTS) {
                throw failure instanceof FolderStore.UnavailableException u ? u
                        : new FolderStore.UnavailableException("reading at byte " + position + ": " + failure.getMessage(), failure);
            }
        }
    }

    private void dropQuietly() {
        try {
            drop();
        } catch (IOException ignored) {
            // the stream is dropped either way
        }
        stream = null;
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
