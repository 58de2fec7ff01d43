package dev.sluice.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A class's main run in a child JVM of a given heap, on this JVM's class path (the test's), with its GC logged: the
 * way a test proves that code runs in bounded memory (a file several times the child's heap) and measures its peak
 * heap. Used by the streaming-file tests and {@code ./sluice bench}.
 */
public final class ChildJvm {
    private ChildJvm() {
    }

    /**
     * What the child did: its exit code, everything it printed (stdout and stderr), and its peak heap in bytes —
     * the most heap in use at any GC (the "before" of every pause in the GC log), or -1 when no GC ran.
     */
    public record Result(int exitCode, String output, long peakHeapBytes) {
        /** The last line printed (where a child main puts its answer). */
        public String lastLine() {
            String[] lines = output.strip().split("\n");
            return lines[lines.length - 1].strip();
        }
    }

    /**
     * Runs main in a child JVM with {@code -Xmx<heap>} and the serial collector (one GC thread on a shared
     * machine), waits for it, and gives its result.
     *
     * @param heap       -Xmx's value, e.g. "64m"
     * @param env        environment variables added to the child's
     * @param timeoutMin minutes before the child is killed (an AssertionError then)
     */
    public static Result run(Class<?> main, String heap, java.util.Map<String, String> env, int timeoutMin,
                             String... args) throws IOException, InterruptedException {
        Path gcLog = Files.createTempFile("sluice-child-gc-", ".log");
        try {
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx" + heap, "-XX:+UseSerialGC", "-Xlog:gc:file=" + gcLog,
                    "--add-opens=java.base/java.nio=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                    main.getName()));
            command.addAll(List.of(args));
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(env);
            Process p = builder.start();
            StringBuilder out = new StringBuilder();
            Thread reader = Thread.ofVirtual().start(() -> {
                try {
                    out.append(new String(p.getInputStream().readAllBytes()));
                } catch (IOException ignored) {
                    // the child's output ended with it
                }
            });
            if (!p.waitFor(timeoutMin, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new AssertionError("the child " + main.getSimpleName() + " did not end in " + timeoutMin + " min");
            }
            reader.join();
            return new Result(p.exitValue(), out.toString(), peakHeap(Files.readString(gcLog)));
        } finally {
            Files.deleteIfExists(gcLog);
        }
    }

    private static final Pattern PAUSE = Pattern.compile("(\\d+)([KMG])->\\d+[KMG]\\(\\d+[KMG]\\)");

    /** The largest heap in use before any GC pause of a {@code -Xlog:gc} log, in bytes (-1: no pause). */
    static long peakHeap(String log) {
        long peak = -1;
        Matcher m = PAUSE.matcher(log);
        while (m.find()) {
            long v = Long.parseLong(m.group(1)) << switch (m.group(2)) {
                case "K" -> 10;
                case "M" -> 20;
                default -> 30;
            };
            peak = Math.max(peak, v);
        }
        return peak;
    }
}
