package dev.sluice.cli;

import dev.sluice.aws.observe.LogFormat;
import dev.sluice.aws.observe.Logs;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The JSON log lines of this JVM, captured as `sluice local --log-format json` writes them. */
final class LogCapture {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();

    /** Installs the JSON lines of service "local" into this capture (replacing the JVM's log handlers). */
    static LogCapture install() {
        LogCapture capture = new LogCapture();
        Logs.install("local", LogFormat.JSON, new PrintStream(capture.bytes, true, StandardCharsets.UTF_8));
        return capture;
    }

    /** Every line written so far. */
    List<String> lines() {
        String all;
        synchronized (bytes) {
            all = bytes.toString(StandardCharsets.UTF_8);
        }
        List<String> lines = new ArrayList<>(all.lines().toList());
        lines.removeIf(String::isEmpty);
        return lines;
    }
}
