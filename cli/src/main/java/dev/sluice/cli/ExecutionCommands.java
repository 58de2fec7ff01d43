package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.execution.Execution;
import dev.sluice.execution.FileType;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code sluice executions start | get | list | cancel | wait | report | role}. */
@Command(name = "executions", description = "a folder of CSV/Parquet/Feather/NDJSON files through a model, a file out per file in",
        subcommands = {ExecutionCommands.Start.class, ExecutionCommands.Get.class, ExecutionCommands.List.class,
                ExecutionCommands.Cancel.class, ExecutionCommands.Wait.class, ExecutionCommands.Report.class,
                ExecutionCommands.Role.class},
        footerHeading = "%nExamples:%n", footer = {
                "  sluice executions start --model model_… --bucket B --source in/ --destination out/ --input-file-type parquet --wait",
                "  sluice executions report execution_…"})
final class ExecutionCommands extends Group {

    @Command(name = "start", description = "start an execution (with --wait: wait for it as `executions wait` does)",
            footerHeading = "%nExamples:%n", footer = {
                    "  sluice executions start --model model_… --bucket my-data --source in/2026-11 --destination out/2026-11 \\",
                    "      --input-file-type parquet --param featureColumns=a,b,c --wait",
                    "  # with `sluice local` (SLUICE_ALLOW_LOCAL_URLS=true): local folders, nothing uploaded",
                    "  sluice executions start --model model_… --source file:///data/in --destination file:///data/out --input-file-type csv",
                    "  sluice executions start --model model_… --bucket my-data --source in/ --destination out/ --limit-files 5 --dry-run"})
    static final class Start extends ClientCommand {
        @Option(names = "--model", paramLabel = "ID", description = "the model's id (required)")
        String model;
        @Option(names = "--build", paramLabel = "B", description = "the model file's checksum to run (default: its current one)")
        String build;
        @Option(names = "--source", paramLabel = "FOLDER", description = "the input folder (required)")
        String source;
        @Option(names = "--destination", paramLabel = "FOLDER", description = "the output folder (required)")
        String destination;
        @Option(names = "--bucket", paramLabel = "B", description = "the bucket of both folders")
        String bucket;
        @Option(names = "--source-bucket", paramLabel = "B", description = "or: the source folder's bucket")
        String sourceBucket;
        @Option(names = "--destination-bucket", paramLabel = "B", description = "and the destination folder's bucket")
        String destinationBucket;
        @Option(names = "--input-file-type", paramLabel = "TYPE", description = "${COMPLETION-CANDIDATES} (default CSV)")
        FileType inputFileType;
        @Option(names = "--output-file-type", paramLabel = "TYPE", description = "${COMPLETION-CANDIDATES} (default: the input's)")
        FileType outputFileType;
        @Option(names = "--job-timeout", paramLabel = "S", description = "seconds the whole execution may take (0: none)")
        Long jobTimeout;
        @Option(names = "--file-timeout", paramLabel = "S", description = "seconds a file may take (0: none)")
        Long fileTimeout;
        @Option(names = "--parallelism", paramLabel = "N", description = "files processed at once")
        Long parallelism;
        @Option(names = "--compute-target", paramLabel = "TARGET",
                description = "where the files run: Lambda (default), GpuPool or CpuPool (the pools are opt-in at deploy)")
        String computeTarget;
        @Option(names = "--instance", paramLabel = "NAME",
                description = "the target's instance: a Lambda memory size (MiB), a GPU instance type or a Fargate size")
        String instance;
        @Option(names = "--purchase-option", paramLabel = "OPTION", description = "onDemand (default) or spot (pools only)")
        String purchaseOption;
        @Option(names = "--tasks", paramLabel = "N", description = "files run at once (compute.tasks; as --parallelism)")
        Long tasks;
        @Option(names = "--param", paramLabel = "KEY=VALUE",
                description = "how rows become model inputs (e.g. featureColumns=a,b,c); repeatable")
        Map<String, String> params = new LinkedHashMap<>();
        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "a metadata pair of the execution (repeatable, at most 16)")
        Map<String, String> metadata = new LinkedHashMap<>();
        @Option(names = "--limit-files", paramLabel = "N", description = "only the first N matching files (a sample run)")
        Long limitFiles;
        @Option(names = "--max-failed-files", paramLabel = "N",
                description = "error budget: stop when more than N files failed (execution.error_budget_exceeded)")
        Long maxFailedFiles;
        @Option(names = "--max-failed-row-rate", paramLabel = "R",
                description = "error budget: stop when more than R (0..1) of the finished files' rows failed")
        Double maxFailedRowRate;
        @Option(names = "--iam-role-arn", paramLabel = "ARN",
                description = "a role of yours that reaches the folders (its trust policy: `sluice executions role`)")
        String iamRoleArn;
        @Option(names = "--access-token-name", paramLabel = "NAME",
                description = "or: the project's secret holding an access key id (with --access-secret-name)")
        String accessTokenName;
        @Option(names = "--access-secret-name", paramLabel = "NAME",
                description = "the project's secret holding that key's secret access key")
        String accessSecretName;
        @Option(names = "--wait", description = "wait for it to end; exit 0 when its outcome is Succeeded, 4 otherwise")
        boolean waitForIt;
        @Option(names = "--allow-failures", description = "with --wait: exit 0 for a PartiallySucceeded execution too")
        boolean allowFailures;
        @Option(names = "--timeout-s", paramLabel = "S", defaultValue = "86400",
                description = "with --wait: give up after S seconds (default ${DEFAULT-VALUE})")
        long timeoutS;
        @Option(names = "--dry-run", description = "check everything and print what the execution would do (the files,"
                + " their count and bytes, estimated time and cost); start nothing")
        boolean dryRun;

        @Override
        int run(SluiceClient c) {
            Map<String, Object> spec = new LinkedHashMap<>();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("id", need(model, "--model"));
            if (build != null) {
                m.put("build", build);
            }
            spec.put("model", m);
            putIfGiven(spec, "bucket", bucket);
            putIfGiven(spec, "sourceBucket", sourceBucket);
            putIfGiven(spec, "destinationBucket", destinationBucket);
            putIfGiven(spec, "inputFileType", inputFileType == null ? null : inputFileType.name());
            putIfGiven(spec, "outputFileType", outputFileType == null ? null : outputFileType.name());
            spec.put("sourceFolder", need(source, "--source"));
            spec.put("destinationFolder", need(destination, "--destination"));
            putIfGiven(spec, "jobTimeout", jobTimeout);
            putIfGiven(spec, "fileTimeout", fileTimeout);
            putIfGiven(spec, "parallelism", parallelism);
            putIfGiven(spec, "iamRoleArn", iamRoleArn);
            putIfGiven(spec, "limitFiles", limitFiles);
            putIfGiven(spec, "maxFailedFiles", maxFailedFiles);
            putIfGiven(spec, "maxFailedRowRate", maxFailedRowRate);
            putIfGiven(spec, "accessTokenName", accessTokenName);
            putIfGiven(spec, "accessSecretName", accessSecretName);
            Map<String, Object> compute = new LinkedHashMap<>();
            putIfGiven(compute, "target", computeTarget);
            putIfGiven(compute, "instance", instance);
            putIfGiven(compute, "purchaseOption", purchaseOption);
            putIfGiven(compute, "tasks", tasks);
            if (!compute.isEmpty()) {
                spec.put("compute", compute);
            }
            if (!params.isEmpty()) {
                spec.put("parameters", params);
            }
            if (!metadata.isEmpty()) {
                spec.put("metadata", metadata);
            }
            if (dryRun) {
                return print(c.dryRunExecution(spec));
            }
            JsonNode started = c.startExecution(spec);
            return waitForIt ? waitFor(this, c, started.get("id").asText(), timeoutS, allowFailures) : print(started);
        }

        private static void putIfGiven(Map<String, Object> spec, String field, Object value) {
            if (value != null) {
                spec.put(field, value);
            }
        }
    }

    @Command(name = "get", description = "show an execution", footerHeading = "%nExamples:%n",
            footer = "  sluice executions get execution_…")
    static final class Get extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the execution's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.execution(id));
        }
    }

    @Command(name = "list", description = "the project's executions, newest first", footerHeading = "%nExamples:%n",
            footer = {"  sluice executions list --limit 20", "  sluice executions list --status Failed --metadata team=tabular"})
    static final class List extends ClientCommand {
        @Mixin
        Paging paging;
        @Mixin
        Filters filters;

        @Override
        int run(SluiceClient c) {
            return print(c.executions(paging.limit, paging.page, filters.filter(null)));
        }
    }

    @Command(name = "cancel", description = "cancel an execution", footerHeading = "%nExamples:%n",
            footer = "  sluice executions cancel execution_…")
    static final class Cancel extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the execution's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.cancelExecution(id));
        }
    }

    @Command(name = "wait", description = {"wait for an execution to end (finished/total files on stderr); prints it",
            "exit 0 when its status.outcome is Succeeded (every file finished), 4 otherwise",
            "(PartiallySucceeded unless --allow-failures, Failed, Stopped, or still running after --timeout-s)"},
            footerHeading = "%nExamples:%n", footer = "  sluice executions wait execution_… --timeout-s 3600")
    static final class Wait extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the execution's id")
        String id;
        @Option(names = "--timeout-s", paramLabel = "S", defaultValue = "86400",
                description = "give up waiting after S seconds (default ${DEFAULT-VALUE})")
        long timeoutS;
        @Option(names = "--allow-failures", description = "exit 0 for a PartiallySucceeded execution too")
        boolean allowFailures;

        @Override
        int run(SluiceClient c) {
            return waitFor(this, c, id, timeoutS, allowFailures);
        }
    }

    @Command(name = "report", description = {"the per-file report: status, rows, failed rows, output, reason",
            "--output json/yaml prints one array of files"},
            footerHeading = "%nExamples:%n", footer = {"  sluice executions report execution_…",
                    "  sluice executions report execution_… --output json | jq '.[] | select(.status != \"Finished\")'"})
    static final class Report extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the execution's id")
        String id;

        @Override
        int run(SluiceClient c) {
            try (Printer.Rows rows = printer().rows("INDEX\tSTATUS\tROWS\tFAILED_ROWS\tFILE\tOUTPUT\tREASON",
                    f -> String.join("\t", Printer.cell(f, "index"), Printer.cell(f, "status"), Printer.cell(f, "rows"),
                            Printer.cell(f, "failedRows"), Printer.cell(f, "file"), Printer.cell(f, "output"),
                            Printer.cell(f, "reason")))) {
                String page = null;
                do { // page by page: the report of a large folder is never held whole
                    JsonNode report = c.executionReport(id, page);
                    report.path("files").forEach(rows::add);
                    page = report.hasNonNull("nextPage") ? report.get("nextPage").asText() : null;
                } while (page != null);
            }
            return Main.OK;
        }
    }

    @Command(name = "role", description = {"what a role named by --iam-role-arn must trust: this project's externalId",
            "(the condition sts:ExternalId) and the principals (the Sluice roles that call AssumeRole)"},
            footerHeading = "%nExamples:%n", footer = "  sluice executions role --output json | jq -r .externalId")
    static final class Role extends ClientCommand {
        @Override
        int run(SluiceClient c) {
            return print(c.executionRole());
        }
    }

    /** Polls the execution, showing finished/total files on stderr; its exit code is {@link Main#waitExit}'s. */
    static int waitFor(ClientCommand command, SluiceClient c, String executionId, long timeoutS, boolean allowFailures) {
        long deadline = System.currentTimeMillis() + timeoutS * 1000;
        ProgressBar bar = new ProgressBar(command.err());
        JsonNode e;
        try {
            while (true) {
                e = c.execution(executionId);
                JsonNode s = e.path("status");
                long total = s.path("totalFiles").asLong();
                bar.show(String.format("%-9s", s.path("overview").asText()), s.path("finishedFiles").asLong()
                                + s.path("failedFiles").asLong(), Math.max(1, total),
                        s.path("finishedFiles").asLong() + "/" + s.path("totalFiles").asText("?") + " files, "
                                + s.path("failedFiles").asLong() + " failed");
                String state = s.path("overview").asText();
                if (!Execution.State.Pending.name().equals(state) && !Execution.State.Running.name().equals(state)
                        || System.currentTimeMillis() > deadline) {
                    break;
                }
                SluiceClient.sleep(500);
            }
        } finally {
            bar.end();
        }
        command.print(e);
        JsonNode s = e.path("status");
        String outcome = SluiceClient.outcome(e);
        int exit = Main.waitExit(outcome, allowFailures);
        if (!"Succeeded".equals(outcome)) {
            command.err().println("execution " + executionId + " is " + s.path("overview").asText()
                    + (outcome == null ? "" : " (" + outcome + ")") + " with " + s.path("failedFiles").asLong()
                    + " failed files (executions report " + executionId + ")");
        }
        return exit;
    }
}
