package dev.sluice.cli;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * A one-line progress bar on stderr ({@code \r}-redrawn), so stdout keeps only the command's document. It redraws only
 * when what it shows changes (at most once per percent for a byte count), so a slow terminal or a CI log is not flooded.
 */
final class ProgressBar {
    private static final int WIDTH = 30;
    private final PrintWriter err;
    private String last = "";

    ProgressBar(PrintWriter err) {
        this.err = err;
    }

    /** label [#####.....] done/total suffix */
    synchronized void show(String label, long done, long total, String suffix) {
        int filled = total <= 0 ? 0 : (int) (WIDTH * Math.min(done, total) / total);
        String line = String.format(Locale.ROOT, "%s [%s%s] %s", label, "#".repeat(filled), ".".repeat(WIDTH - filled),
                suffix);
        if (!line.equals(last)) {
            err.print("\r" + line);
            err.flush();
            last = line;
        }
    }

    /** Bytes sent of a file: {@code uploading f.onnx [####......] 41% 12.0/29.3 MiB}. */
    synchronized void bytes(String label, long done, long total) {
        long percent = total <= 0 ? 100 : 100 * done / total;
        show(label, done, Math.max(total, 1), String.format(Locale.ROOT, "%3d%% %s/%s", percent, size(done), size(total)));
    }

    /** Ends the line (if a bar was drawn). */
    synchronized void end() {
        if (!last.isEmpty()) {
            err.println();
            err.flush();
            last = "";
        }
    }

    static String size(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        if (bytes < 1024 * 1024) {
            return String.format(Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return String.format(Locale.ROOT, "%.1f MiB", bytes / (1024.0 * 1024));
    }
}
