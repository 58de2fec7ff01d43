package dev.sluice.cli;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The `sluice` command line itself (picocli): help, typos, typed values, exit codes; no stack needed. */
class CommandLineTest {

    record Result(int code, String out, String err) {
    }

    static Result sluice(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Main.run(List.of(args), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** Every command of the tree, by its words after "sluice" (e.g. ["jobs", "create"]). */
    static List<List<String>> allCommands() {
        CommandLine root = Main.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        List<List<String>> all = new ArrayList<>();
        collect(root, new ArrayList<>(), all);
        return all;
    }

    private static void collect(CommandLine command, List<String> words, List<List<String>> all) {
        all.add(words);
        command.getSubcommands().forEach((name, sub) -> {
            List<String> next = new ArrayList<>(words);
            next.add(name);
            collect(sub, next, all);
        });
    }

    @Test
    void everyCommand_hasItsOwnHelp_withExamples() {
        List<List<String>> commands = allCommands();
        assertTrue(commands.size() > 45, "the tree: " + commands);
        for (List<String> words : commands) {
            List<String> args = new ArrayList<>(words);
            args.add("--help");
            Result help = sluice(args.toArray(String[]::new));
            assertEquals(0, help.code, words + ": " + help.err);
            assertTrue(help.out.startsWith("Usage: " + String.join(" ", List.of("sluice", String.join(" ", words))).trim()),
                    words + " prints its own usage: " + help.out);
            assertTrue(help.out.contains("Examples:") || help.out.contains("  ./sluice") || help.out.contains("  sluice"),
                    words + " shows examples: " + help.out);
        }
        Result create = sluice("jobs", "create", "--help");
        assertTrue(create.out.contains("--batch-size") && create.out.contains("--start-at")
                && create.out.contains("2026-12-08T01:00:00Z"), create.out);
        assertFalse(create.out.contains("--max-backoff-ms"), "only this command's options: " + create.out);
        assertTrue(sluice("--help").out.contains("Exit codes: 0 ok, 1"), "the exit codes are in the top help");
    }

    @Test
    void aMistypedCommandOrOption_isRefused_withTheNearestName() {
        Result command = sluice("jbos", "list");
        assertEquals(2, command.code);
        assertTrue(command.err.contains("unknown command 'jbos'") && command.err.contains("did you mean")
                && command.err.contains("jobs"), command.err);
        Result verb = sluice("jobs", "lsit");
        assertEquals(2, verb.code);
        assertTrue(verb.err.contains("unknown command 'lsit' for 'sluice jobs'") && verb.err.contains("list"), verb.err);
        Result batch = sluice("jobs", "create", "--name", "n", "--dataset", "dataset_x", "--model", "model_x", "--bach-size", "64");
        assertEquals(2, batch.code);
        assertTrue(batch.err.contains("unknown option '--bach-size' for 'sluice jobs create'") && batch.err.contains("'--batch-size'"), batch.err);
        Result webhook = sluice("jobs", "create", "--webhok", "webhook_x");
        assertEquals(2, webhook.code);
        assertTrue(webhook.err.contains("'--webhok'") && webhook.err.contains("'--webhook'"), webhook.err);
        assertTrue(webhook.out.isEmpty(), "nothing on stdout: " + webhook.out);
        assertEquals(List.of("jobs"), Suggestions.nearest("jbos", List.of("datasets", "jobs", "keys", "dlq")));
        assertEquals(List.of(), Suggestions.nearest("zzz", List.of("jobs", "keys")), "nothing near: no suggestion");
    }

    @Test
    void typedValues_areCheckedBeforeAnythingIsSent() {
        Result limit = sluice("jobs", "list", "--limit", "abc");
        assertEquals(2, limit.code);
        assertTrue(limit.err.startsWith("--limit: 'abc' is not a number"), limit.err);
        Result time = sluice("jobs", "create", "--start-at", "tomorrow");
        assertEquals(2, time.code);
        assertTrue(time.err.startsWith("--start-at: 'tomorrow' is not a time"), time.err);
        Result noZone = sluice("jobs", "create", "--stop-at", "2026-12-08T01:00:00");
        assertEquals(2, noZone.code, "a time without a zone is refused: " + noZone.err);
        Result target = sluice("deployments", "create", "--target", "Gpu");
        assertEquals(2, target.code);
        assertTrue(target.err.contains("'Gpu' is not a target"), target.err);
        Result format = sluice("jobs", "list", "--output", "xml");
        assertEquals(2, format.code);
        assertTrue(format.err.contains("--output") && format.err.contains("table, json, yaml"), format.err);
        Result param = sluice("executions", "start", "--param", "featureColumns");
        assertEquals(2, param.code, param.err);
    }

    @Test
    void times_areIso8601OrEpochMillis() {
        Converters.EpochMillis times = new Converters.EpochMillis();
        long expected = Instant.parse("2026-12-08T01:00:00Z").toEpochMilli();
        assertEquals(expected, times.convert("2026-12-08T01:00:00Z"));
        assertEquals(expected, times.convert("2026-12-08T02:00:00+01:00"));
        assertEquals(expected, times.convert("2026-12-08T02:00:00+01:00[Europe/Paris]"));
        assertEquals(expected, times.convert(Long.toString(expected)), "epoch milliseconds still work");
    }

    @Test
    void anUnreachableApi_isOneLine_exitCode3() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        String api = "http://127.0.0.1:" + port;
        Result r = null;
        for (int run = 1; run <= 2; run++) { // the second run without the first's class loading; measured, not asserted
            long start = System.nanoTime();
            r = sluice("jobs", "list", "--api", api, "--project", "proj_x", "--key", "sk_x");
            System.out.println("unreachable API reported after " + (System.nanoTime() - start) / 1_000_000 + " ms (run " + run + ")");
        }
        assertEquals(3, r.code, r.err);
        assertEquals("cannot reach the Sluice API at " + api + ": connection refused\n", r.err);
        assertTrue(r.out.isEmpty());
        Result unknownHost = sluice("jobs", "get", "batchjob_x", "--api", "http://no-such-host.invalid", "--project", "p",
                "--key", "k");
        assertEquals(3, unknownHost.code, unknownHost.err);
        assertTrue(unknownHost.err.startsWith("cannot reach the Sluice API at http://no-such-host.invalid: "),
                unknownHost.err);
        assertFalse(unknownHost.err.contains("Exception"), unknownHost.err);
        Result notUrl = sluice("jobs", "list", "--api", "localhost:8080", "--project", "p", "--key", "k");
        assertEquals(2, notUrl.code, notUrl.err);
    }

    @Test
    void versionAndCompletion() {
        Result version = sluice("--version");
        assertEquals(0, version.code);
        assertTrue(version.out.startsWith("sluice 0.") && !version.out.contains("${"), version.out);
        for (String shell : List.of("bash", "zsh")) {
            Result script = sluice("completion", shell);
            assertEquals(0, script.code, script.err);
            assertTrue(script.out.contains("complete -F") && script.out.contains("executions")
                    && script.out.contains("--batch-size") && script.out.contains("GpuPool"), shell);
        }
        assertEquals(2, sluice("completion", "fish").code);
        assertEquals(2, sluice().code, "no command: the usage, exit 2");
    }

    /**
     * Lists whose rows are not jobs show their own columns in a table: a job's lineage lines (no {@code object}) and
     * a webhook's deliveries, whose request id is what {@code webhooks replay} takes (both were a column of ids or
     * dashes under ID NAME STATUS.OVERVIEW CREATETIME, found by the trial of 2026-12-07).
     */
    @Test
    void tablesOfLineageAndDeliveries_showTheirOwnColumns() throws Exception {
        com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
        StringWriter lineage = new StringWriter();
        new Printer(Printer.Format.table, new PrintWriter(lineage)).print(json.readTree("""
                {"jobId":"batchjob_a","jobs":["batchjob_a","batchjob_b"],"data":[
                 {"line":0,"outcome":"Delivered","jobId":"batchjob_a","attempts":1},
                 {"line":1,"outcome":"Failed","jobId":"batchjob_b","attempts":2,"reason":"gather.http_404: 404",
                  "failureClass":"Permanent"}],"nextPage":null}"""));
        assertEquals("""
                LINE\tOUTCOME\tJOBID\tATTEMPTS\tREASON\tFAILURECLASS
                0\tDelivered\tbatchjob_a\t1\t-\t-
                1\tFailed\tbatchjob_b\t2\tgather.http_404: 404\tPermanent
                """, lineage.toString().replace(System.lineSeparator(), "\n"));
        StringWriter deliveries = new StringWriter();
        new Printer(Printer.Format.table, new PrintWriter(deliveries)).print(json.readTree("""
                {"data":[{"object":"webhook.delivery","id":"820-a-0","webhookId":"webhook_w","requestId":"rid-1",
                  "jobId":"batchjob_a","itemIndex":0,"statusCode":200,"latencyMs":44,"time":1796646363003,
                  "replay":false}],"nextPage":"p2"}"""));
        assertEquals("""
                REQUESTID\tJOBID\tITEMINDEX\tEVENT\tPROGRESSPERCENT\tSTATUSCODE\tLATENCYMS\tERROR\tTIME\tREPLAY
                rid-1\tbatchjob_a\t0\t-\t-\t200\t44\t-\t2026-12-07T12:26:03.003Z\tfalse
                next page: --page p2
                """, deliveries.toString().replace(System.lineSeparator(), "\n"));
        StringWriter noJobs = new StringWriter();
        new Printer(Printer.Format.table, new PrintWriter(noJobs)).print(json.readTree("{\"data\":[]}"));
        assertEquals("ID\tNAME\tSTATUS.OVERVIEW\tCREATETIME\n", noJobs.toString().replace(System.lineSeparator(), "\n"));
    }
}
