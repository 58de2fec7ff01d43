package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.function.Function;
import java.util.function.LongConsumer;

/**
 * A command that talks to a Sluice API: the options every such command takes (where the API is, and
 * {@code --output}), the client, the printer and the prompt for a missing required value. A subcommand extends it
 * and implements {@link #run(SluiceClient)}; errors are thrown, and {@link Main} maps them to exit codes.
 * Settings come from flags, then the environment (SLUICE_API_URL, SLUICE_PROJECT, SLUICE_API_KEY), then
 * ~/.sluice/config (api=, project=, key=).
 */
@Command(sortOptions = false, usageHelpAutoWidth = true)
abstract class ClientCommand implements Callable<Integer> {
    /** Tries of a request whose connection fails: a stopped API is reported within a second, not after a backoff. */
    static final int CONNECTION_ATTEMPTS = 2;

    @Option(names = "--api", paramLabel = "URL", order = 100,
            description = "the API's URL (else SLUICE_API_URL, else api= in ~/.sluice/config)")
    String api;
    @Option(names = "--project", paramLabel = "ID", order = 101,
            description = "the project (else SLUICE_PROJECT, else project= in ~/.sluice/config)")
    String project;
    @Option(names = "--key", paramLabel = "KEY", order = 102,
            description = "the API key (else SLUICE_API_KEY, else key= in ~/.sluice/config)")
    String key;
    @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", order = 103, defaultValue = "table",
            description = "table (default), json or yaml: one document (the API's object or page; logs and reports one array)")
    Printer.Format output;
    @Option(names = {"-h", "--help"}, usageHelp = true, order = 104, description = "show this help and exit")
    boolean help;

    @Spec
    CommandSpec spec;

    /** Runs the command; returns its exit code ({@link Main#OK} unless the command decides otherwise). */
    abstract int run(SluiceClient client) throws Exception;

    @Override
    public final Integer call() throws Exception {
        return run(client());
    }

    SluiceClient client() {
        Map<String, String> given = new HashMap<>();
        given.put("api", api);
        given.put("project", project);
        given.put("key", key);
        given.values().removeIf(v -> v == null);
        SluiceClient client = SluiceClient.fromSettings(given).withConnectionAttempts(CONNECTION_ATTEMPTS);
        URI url;
        try {
            url = URI.create(client.apiUrl());
        } catch (IllegalArgumentException e) {
            url = null;
        }
        if (url == null || url.getHost() == null
                || !("http".equals(url.getScheme()) || "https".equals(url.getScheme()))) {
            throw new Usage("--api: '" + client.apiUrl() + "' is not an http:// or https:// URL");
        }
        return client;
    }

    Printer printer() {
        return new Printer(output, out());
    }

    /** Prints one API document; exit code 0. */
    int print(com.fasterxml.jackson.databind.JsonNode node) {
        printer().print(node);
        return Main.OK;
    }

    PrintWriter out() {
        return spec.commandLine().getOut();
    }

    PrintWriter err() {
        return spec.commandLine().getErr();
    }

    /** A required value; in a terminal, asked for when missing (as the reference CLI prompts). */
    static String need(String value, String option) {
        String v = value;
        java.io.Console console = System.console();
        if ((v == null || v.isBlank()) && console != null) {
            v = console.readLine("%s: ", option.substring(2));
        }
        if (v == null || v.isBlank()) {
            throw new Usage(option + " is required");
        }
        return v;
    }

    /** A required file option: present (or asked for in a terminal) and a regular file. */
    static Path needFile(Path value, String option) {
        Path f = Path.of(need(value == null ? null : value.toString(), option));
        if (!Files.isRegularFile(f)) {
            throw new Usage(option + ": '" + f + "' is not a file");
        }
        return f;
    }

    /** Runs an upload of {@code file} with a progress bar on stderr; the bar's line is ended however it goes. */
    <T> T uploading(Path file, Function<LongConsumer, T> upload) {
        ProgressBar bar = new ProgressBar(err());
        String label = "uploading " + file.getFileName();
        long size = file.toFile().length();
        try {
            return upload.apply(sent -> bar.bytes(label, sent, size));
        } finally {
            bar.end();
        }
    }

    /** A usage error found while running (a missing required value, options that do not go together): exit 2. */
    static final class Usage extends RuntimeException {
        Usage(String message) {
            super(message);
        }
    }
}
