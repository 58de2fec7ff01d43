package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import picocli.CommandLine;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.UnmatchedArgumentException;

import java.io.OutputStreamWriter;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The {@code sluice} command: picocli parses (the commands are {@link SluiceCommand} and its subcommands), this class
 * maps what happens to exit codes and messages. Exit codes: {@link #OK} 0, {@link #API_ERROR} 1 (the API answered an
 * error; also any other failure), {@link #USAGE} 2, {@link #UNREACHABLE} 3, {@link #NOT_ALL_DELIVERED} 4. A user never
 * sees a stack trace: an unexpected exception prints its class and message.
 */
public final class Main {
    static final int OK = 0;
    static final int API_ERROR = 1;
    static final int USAGE = 2;
    static final int UNREACHABLE = 3;
    /** {@code jobs wait} / {@code executions wait}: it ended (or the wait timed out) not Finished with all delivered. */
    static final int NOT_ALL_DELIVERED = 4;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(List.of(args), System.out, System.err));
    }

    /**
     * The exit code of {@code jobs wait} / {@code executions wait} for an ended job's or execution's
     * {@code status.outcome}: {@link #OK} for Succeeded (and PartiallySucceeded when allowFailures), else
     * {@link #NOT_ALL_DELIVERED} (also with no outcome: it is still running after the timeout).
     */
    static int waitExit(String outcome, boolean allowFailures) {
        return "Succeeded".equals(outcome) || allowFailures && "PartiallySucceeded".equals(outcome)
                ? OK : NOT_ALL_DELIVERED;
    }

    /** Runs a client command; returns the exit code (errors are printed, not thrown). Kept for the tests' callers. */
    static int client(List<String> args, PrintStream out, PrintStream err) {
        return run(args, out, err);
    }

    /** Runs any {@code sluice} command line with these streams; returns its exit code. */
    static int run(List<String> args, PrintStream out, PrintStream err) {
        PrintWriter o = new PrintWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), true);
        PrintWriter e = new PrintWriter(new OutputStreamWriter(err, StandardCharsets.UTF_8), true);
        try {
            return commandLine(o, e).execute(args.toArray(String[]::new));
        } finally {
            o.flush();
            e.flush();
        }
    }

    /** The command tree with Sluice's converters, its messages for usage errors and its exit codes for failures. */
    static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        CommandLine cl = new CommandLine(new SluiceCommand());
        Converters.register(cl);
        cl.setOut(out);
        cl.setErr(err);
        cl.setParameterExceptionHandler(Main::usageError);
        cl.setExecutionExceptionHandler((ex, command, parseResult) -> failed(ex, command.getErr()));
        return cl;
    }

    private static final Pattern INVALID_VALUE = Pattern.compile("Invalid value for (?:option|positional parameter) '?([^':]+)'?: (.*)",
            Pattern.DOTALL);

    /**
     * A command line picocli could not parse: the problem in one line ({@code --limit: 'abc' is not a number},
     * {@code unknown command 'jbos' for 'sluice'}, {@code unknown option '--bach-size' for 'sluice jobs create'}), the nearest names ("did you mean"),
     * and where the help is. Exit code 2.
     */
    private static int usageError(ParameterException ex, String[] args) {
        CommandLine command = ex.getCommandLine();
        PrintWriter err = command.getErr();
        String message = ex.getMessage();
        Matcher invalid = INVALID_VALUE.matcher(message);
        if (invalid.matches()) {
            message = invalid.group(1) + ": " + invalid.group(2);
        }
        List<String> suggestions = List.of();
        if (ex instanceof UnmatchedArgumentException unmatched && !unmatched.getUnmatched().isEmpty()) {
            String word = unmatched.getUnmatched().get(0);
            if (unmatched.isUnknownOption()) {
                message = "unknown option '" + word + "' for '" + command.getCommandSpec().qualifiedName() + "'";
                suggestions = Suggestions.nearest(word, command.getCommandSpec().optionsMap().keySet());
            } else if (!command.getSubcommands().isEmpty()) {
                message = "unknown command '" + word + "' for '" + command.getCommandSpec().qualifiedName() + "'";
                suggestions = Suggestions.nearest(word, command.getSubcommands().keySet());
            }
        }
        err.println(message);
        if (!suggestions.isEmpty()) {
            err.println("did you mean " + suggestions.stream().map(s -> "'" + s + "'")
                    .collect(Collectors.joining(" or ")) + "?");
        }
        err.println("see '" + command.getCommandSpec().qualifiedName() + " --help'");
        err.flush();
        return USAGE;
    }

    /** What a command threw, as one line on stderr and an exit code. */
    static int failed(Exception ex, PrintWriter err) {
        int code;
        String message;
        if (ex instanceof SluiceClient.Unreachable) {
            code = UNREACHABLE;
            message = ex.getMessage();
        } else if (ex instanceof SluiceClient.ApiException) {
            code = API_ERROR;
            message = ex.getMessage();
        } else if (ex instanceof ClientCommand.Usage || ex instanceof IllegalArgumentException) {
            code = USAGE; // a missing required value or setting, options that do not go together
            message = ex.getMessage();
        } else if (ex instanceof UncheckedIOException io) {
            code = API_ERROR;
            message = ex.getMessage() + (io.getCause() == null ? "" : " (" + io.getCause() + ")");
        } else {
            code = API_ERROR;
            message = ex.getMessage() == null ? ex.toString() : ex.getMessage();
        }
        err.println(message);
        err.flush();
        return code;
    }

    static void local(int port, LocalStack.Access access, String dataDir, int inferenceBatchMessages)
            throws InterruptedException {
        LocalStack.Options options = LocalStack.Options.defaults(port, System.getenv("SLUICE_API_KEY"), access)
                .withInferenceBatchMessages(inferenceBatchMessages)
                .withDataDir(dataDir == null ? null : java.nio.file.Path.of(dataDir).toAbsolutePath())
                .withTunables(dev.sluice.aws.Tunables.fromEnv(System.getenv())); // as the functions read them
        Integer visibility = Integer.getInteger("sluice.local.visibilitySeconds");
        if (visibility != null) { // how soon a message in flight when the stack died is received again (tests)
            options = options.withQueues(new dev.sluice.local.LocalProvisioner
                    .QueueSettings(visibility, visibility, visibility, 5, 16));
        }
        LocalStack stack = LocalStack.start(options);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            stack.close();
            stopped.countDown();
        }));
        System.out.println("API: " + stack.apiUrl());
        System.out.println("Project: " + stack.projectId);
        System.out.println("API key: " + stack.apiKey);
        System.out.println("Local URLs (loopback, private, file://): " + (access.allowLocalUrls() ? "allowed" : "refused")
                + "; s3:// item buckets: " + access.itemBuckets() + "; execution buckets: " + access.executionBuckets());
        System.out.println("S3: " + stack.s3Endpoint() + " (path-style, any access key; the buckets above are created)");
        System.out.println("State: " + (dataDir == null ? "in memory (gone when the stack stops; keep it with --data-dir DIR)"
                : "kept in " + java.nio.file.Path.of(dataDir).toAbsolutePath()));
        System.out.println("Ctrl-C stops the stack.");
        stopped.await();
    }
}
