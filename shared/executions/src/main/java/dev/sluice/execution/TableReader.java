package dev.sluice.execution;

import java.io.Closeable;
import java.io.IOException;

/**
 * A file's rows, chunk by chunk, in bounded memory: every chunk has the same columns (the first chunk's, for NDJSON
 * the columns seen so far), and at most {@link Limit} rows and bytes (estimated as {@link RowBudget#cost(Object[])}),
 * plus one row. What the reader must hold whole is charged to its {@link RowBudget}.
 */
public interface TableReader extends Closeable {
    /** A chunk's bounds: rows, and heap bytes of its rows (a chunk ends at the row that passes it). */
    record Limit(int rows, long bytes) {
        public static final Limit NONE = new Limit(Integer.MAX_VALUE, Long.MAX_VALUE);
    }

    /**
     * The next rows (at least one), or null after the last; a file without rows gives one chunk without rows (its
     * columns), then null.
     */
    Table next(Limit limit) throws IOException;

    /** One table as one chunk (tests, and files read whole). */
    static TableReader of(Table table) {
        return new TableReader() {
            private boolean given;

            @Override
            public Table next(Limit limit) {
                if (given) {
                    return null;
                }
                given = true;
                return table;
            }

            @Override
            public void close() {
            }
        };
    }
}
