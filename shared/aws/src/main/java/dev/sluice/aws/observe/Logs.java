package dev.sluice.aws.observe;

import java.io.PrintStream;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Installs Sluice's log lines in this JVM: the root logger's handlers are replaced by one that writes each record,
 * formatted ({@link JsonLogFormatter} or {@link TextLogFormatter}), to a stream, synchronously on the thread that
 * logged (so the MDC read while formatting is that thread's). SLF4J's provider on every Sluice runtime is JBoss
 * LogManager (Quarkus brings it), java.util.logging's manager on Lambda; records of both APIs reach this handler.
 * Each JVM calls it once: a function's composition ({@code Components.forFunction}), the GPU worker's main,
 * {@code sluice local}; a later call replaces the lines of an earlier one.
 */
public final class Logs {
    private Logs() {
    }

    /** Installs the lines of this service on standard output. */
    public static void install(String service, LogFormat format) {
        install(service, format, System.out);
    }

    /** The same, on this stream. */
    public static synchronized void install(String service, LogFormat format, PrintStream out) {
        Handler handler = new LineHandler(format == LogFormat.JSON ? new JsonLogFormatter(service) : new TextLogFormatter(), out);
        Logger root = Logger.getLogger("");
        replaceHandlers(root, handler);
        // SLF4J's provider logs to JBoss LogManager's system context; when JBoss LogManager is not JUL's manager (a
        // JVM started without -Djava.util.logging.manager=org.jboss.logmanager.LogManager), that context's root is
        // not JUL's: it gets the same handler, so every record is written once whichever API logged it
        Logger jbossRoot = org.jboss.logmanager.LogContext.getSystemLogContext().getLogger("");
        if (jbossRoot != root) {
            replaceHandlers(jbossRoot, handler);
        }
    }

    private static void replaceHandlers(Logger root, Handler handler) {
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        root.addHandler(handler);
        // libraries (the AWS SDK, the emulators, Quarkus) at WARNING and above; Sluice's own lines from INFO
        root.setLevel(Level.WARNING);
        Logger sluice = root == Logger.getLogger("") ? Logger.getLogger(SLUICE) : ((org.jboss.logmanager.Logger) root)
                .getLogContext().getLogger(SLUICE);
        sluice.setLevel(Level.INFO);
        KEEP.add(sluice);
    }

    private static final String SLUICE = "dev.sluice";
    /** JUL holds loggers weakly: a level set on one that is collected would be lost. */
    private static final java.util.List<Logger> KEEP = new java.util.concurrent.CopyOnWriteArrayList<>();

    /** Writes each record as one line, flushed at once (a Lambda's stdout is read line by line). */
    private static final class LineHandler extends Handler {
        private final PrintStream out;

        LineHandler(Formatter formatter, PrintStream out) {
            this.out = out;
            setFormatter(formatter);
            setLevel(Level.ALL);
        }

        @Override
        public void publish(LogRecord record) {
            if (!isLoggable(record)) {
                return;
            }
            String line = getFormatter().format(record);
            synchronized (out) {
                out.print(line);
                out.flush();
            }
        }

        @Override
        public void flush() {
            out.flush();
        }

        @Override
        public void close() {
            out.flush();
        }
    }
}
