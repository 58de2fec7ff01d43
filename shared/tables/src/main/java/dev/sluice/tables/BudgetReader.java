package dev.sluice.tables;

import dev.sluice.execution.RowBudget;

import java.io.FilterReader;
import java.io.IOException;
import java.io.Reader;

/**
 * Text read on a {@link RowBudget}: the characters read since the last {@link #recordEnd()} (the record a parser is
 * building, 2 bytes of heap per character in its buffers) are charged, so that one enormous line or field fails with
 * the budget's code ({@code execution.line_too_long}) before it is held whole.
 */
final class BudgetReader extends FilterReader {
    private final RowBudget budget;
    private final RowBudget.Held what;
    private long pending;

    BudgetReader(Reader in, RowBudget budget, RowBudget.Held what) {
        super(in);
        this.budget = budget;
        this.what = what;
    }

    /** The record read so far is held as a row now (charged by the caller): its characters are no longer charged. */
    void recordEnd() {
        if (pending == 0) {
            return;
        }
        budget.release(pending);
        pending = 0;
    }

    private void charge(long chars) {
        budget.chargeBytes(2 * chars, what);
        pending += 2 * chars;
    }

    @Override
    public int read() throws IOException {
        int c = super.read();
        if (c >= 0) {
            charge(1);
        }
        return c;
    }

    @Override
    public int read(char[] buffer, int offset, int length) throws IOException {
        int n = super.read(buffer, offset, length);
        if (n > 0) {
            charge(n);
        }
        return n;
    }
}
