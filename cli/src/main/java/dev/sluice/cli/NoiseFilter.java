package dev.sluice.cli;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Standard error of `sluice local` without the lines libraries print there directly, bypassing any logger, that tell
 * a user nothing: DynamoDB Local's parser was generated with ANTLR 4.10.1 and the runtime on the classpath is newer,
 * so ANTLR's RuntimeMetaData prints two "version ... does not match" lines per parser. Every other line passes
 * through unchanged, line by line.
 */
final class NoiseFilter extends OutputStream {
    static final List<String> DROPPED_PREFIXES = List.of("ANTLR Tool version ", "ANTLR Runtime version ");
    private final PrintStream target;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream();

    private NoiseFilter(PrintStream target) {
        this.target = target;
    }

    /** Replaces System.err by a filtered copy of itself. */
    static void install() {
        System.setErr(new PrintStream(new NoiseFilter(System.err), true, StandardCharsets.UTF_8));
    }

    static boolean dropped(String line) {
        return DROPPED_PREFIXES.stream().anyMatch(line::startsWith);
    }

    @Override
    public synchronized void write(int b) {
        line.write(b);
        if (b == '\n') {
            String text = line.toString(StandardCharsets.UTF_8);
            line.reset();
            if (!dropped(text)) {
                target.print(text);
            }
        }
    }

    @Override
    public synchronized void flush() {
        target.flush();
    }
}
