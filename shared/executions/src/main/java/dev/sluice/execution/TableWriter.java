package dev.sluice.execution;

import java.io.IOException;

/** A file written chunk by chunk in one schema, to a stream; {@link #finish()} writes its end (a footer). */
public interface TableWriter {
    /** Rows in the writer's columns (names, order and types). */
    void write(Table chunk) throws IOException;

    /** Ends the file (Parquet, Feather: the footer) and flushes it to the stream; the stream is not closed. */
    void finish() throws IOException;
}
