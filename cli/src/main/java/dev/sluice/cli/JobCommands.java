package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.core.deployment.DeploymentTarget;
import dev.sluice.core.job.JobState;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** {@code sluice jobs create | list | get | cancel | retry | wait | logs | items | results | delete}. */
@Command(name = "jobs", description = "batch jobs: a dataset through a model, each prediction delivered once",
        subcommands = {JobCommands.Create.class, JobCommands.List.class, JobCommands.Get.class, JobCommands.Cancel.class,
                JobCommands.Retry.class, JobCommands.Wait.class, JobCommands.Logs.class, JobCommands.Items.class, JobCommands.Lineage.class, JobCommands.Results.class,
                JobCommands.Delete.class},
        footerHeading = "%nExamples:%n", footer = {
                "  sluice jobs create --name run-1 --dataset dataset_… --deployment deploy_… --webhook webhook_…",
                "  sluice jobs wait batchjob_…",
                "  sluice jobs logs batchjob_… --min-level Error --follow"})
final class JobCommands extends Group {

    /** {@code --min-level} of {@code jobs logs}: the API's {@code minLevel} values. */
    enum Level { Info, Error }

    @Command(name = "create", description = "start a job over a dataset, with a deployment or a model",
            footerHeading = "%nExamples:%n", footer = {
                    "  sluice jobs create --name run-1 --dataset dataset_… --deployment deploy_… --webhook webhook_…",
                    "  sluice jobs create --name run-2 --dataset dataset_… --model model_… --target GpuPool --batch-size 64",
                    "  sluice jobs create --name nightly --dataset dataset_… --model model_… \\",
                    "      --start-at 2026-12-08T01:00:00Z --stop-at 2026-12-08T05:00:00Z",
                    "  sluice jobs create --name checked --dataset dataset_… --model model_… --webhook webhook_… \\",
                    "      --events job.started,job.progress,job.completed --max-failure-rate 0.2 --min-items 100",
                    "  sluice jobs create --name check --dataset dataset_… --model model_… --limit 20 --dry-run"})
    static final class Create extends ClientCommand {
        @Option(names = "--name", paramLabel = "NAME", description = "the job's name (required)")
        String name;
        @Option(names = "--dataset", paramLabel = "ID", description = "the dataset's id (required)")
        String dataset;
        @Option(names = "--deployment", paramLabel = "ID", description = "run on this deployment")
        String deployment;
        @Option(names = "--model", paramLabel = "ID", description = "or run this model directly (with --target)")
        String model;
        @Option(names = "--target", paramLabel = "TARGET", defaultValue = "Lambda",
                completionCandidates = Converters.Targets.class,
                description = "with --model: ${COMPLETION-CANDIDATES} (default Lambda)")
        DeploymentTarget target;
        @Option(names = "--webhook", paramLabel = "ID", description = "deliver each result to this webhook")
        String webhook;
        @Option(names = "--batch-size", paramLabel = "N", description = "items per inference batch")
        Integer batchSize;
        @Option(names = "--start-at", paramLabel = "TIME", converter = Converters.EpochMillis.class,
                description = "start no earlier than TIME: ISO-8601 with a zone (2026-12-08T01:00:00Z) or epoch ms")
        Long startAt;
        @Option(names = "--stop-at", paramLabel = "TIME", converter = Converters.EpochMillis.class,
                description = "stop taking new batches at TIME (same forms as --start-at)")
        Long stopAt;
        @Option(names = "--events", paramLabel = "TYPE", split = ",",
                description = "job events the webhook gets: job.started, job.progress, job.completed (default job.completed)")
        java.util.List<String> events;
        @Option(names = "--max-failures", paramLabel = "N",
                description = "error budget: end the job Failed (job.error_budget_exceeded) past N failed items")
        Long maxFailures;
        @Option(names = "--max-failure-rate", paramLabel = "R",
                description = "error budget: end it past this share of failed items (0..1], counted from --min-items")
        Double maxFailureRate;
        @Option(names = "--min-items", paramLabel = "N", description = "with --max-failure-rate (default 100)")
        Long minItems;
        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "a metadata pair of the job (repeatable, at most 16)")
        Map<String, String> metadata = new LinkedHashMap<>();
        @Option(names = "--limit", paramLabel = "N",
                description = "a sample run: only the first N valid lines of the dataset (1..10000)")
        Integer limit;
        @Option(names = "--dry-run", description = "check everything and print what the job would do (items, invalid"
                + " lines, refused URLs, hosts, estimated time and cost); create nothing")
        boolean dryRun;

        @Override
        int run(SluiceClient c) {
            Map<String, Object> spec = new LinkedHashMap<>();
            spec.put("datasetId", need(dataset, "--dataset"));
            String deploymentId = deployment;
            if (deploymentId != null && model != null) {
                throw new Usage("give --deployment or --model, not both");
            }
            if (deploymentId == null && model == null && System.console() != null) {
                String answer = System.console().readLine("deployment id (or empty to give a model id): ");
                deploymentId = answer == null || answer.isBlank() ? null : answer.trim();
            }
            if (deploymentId != null) {
                spec.put("deployment", Map.of("deploymentId", deploymentId));
            } else {
                spec.put("deployment", Map.of("modelId", need(model, "--model"), "target", target.wire()));
            }
            if (webhook != null) {
                spec.put("resultDelivery", Map.of("destinations",
                        java.util.List.of(Map.of("kind", "Webhook", "webhookId", webhook))));
            }
            if (batchSize != null) {
                spec.put("batchSize", batchSize);
            }
            if (startAt != null) {
                spec.put("startAtTime", startAt);
            }
            if (stopAt != null) {
                spec.put("stopAtTime", stopAt);
            }
            if (events != null) {
                spec.put("events", events);
            }
            Map<String, Object> budget = new LinkedHashMap<>();
            if (maxFailures != null) {
                budget.put("maxFailures", maxFailures);
            }
            if (maxFailureRate != null) {
                budget.put("maxFailureRate", maxFailureRate);
            }
            if (minItems != null) {
                budget.put("minItems", minItems);
            }
            if (!budget.isEmpty()) {
                spec.put("errorBudget", budget); // the API checks the combination (job.bad_error_budget)
            }
            if (limit != null) {
                spec.put("limit", limit);
            }
            return print(dryRun ? c.dryRunJob(need(name, "--name"), spec, metadata)
                    : c.createJob(need(name, "--name"), spec, metadata));
        }
    }

    @Command(name = "list", description = "the project's jobs, newest first", footerHeading = "%nExamples:%n",
            footer = {"  sluice jobs list --limit 20", "  sluice jobs list --page <the nextPage printed>",
                    "  sluice jobs list --status Running --metadata team=vision --name-prefix nightly-"})
    static final class List extends ClientCommand {
        @Mixin
        Paging paging;
        @Mixin
        Filters filters;
        @Option(names = "--name-prefix", paramLabel = "TEXT", description = "only jobs whose name starts with TEXT")
        String namePrefix;

        @Override
        int run(SluiceClient c) {
            return print(c.jobs(paging.limit, paging.page, filters.filter(namePrefix)));
        }
    }

    @Command(name = "get", description = "show a job: its spec, status and counters", footerHeading = "%nExamples:%n",
            footer = "  sluice jobs get batchjob_… --output json")
    static final class Get extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the job's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.job(id));
        }
    }

    @Command(name = "cancel", description = "cancel a job (what was delivered stays delivered)",
            footerHeading = "%nExamples:%n", footer = "  sluice jobs cancel batchjob_…")
    static final class Cancel extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the job's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.cancel(id));
        }
    }

    @Command(name = "delete", description = "delete an ended job with its log and results (refused while it runs)",
            footerHeading = "%nExamples:%n", footer = "  sluice jobs delete batchjob_…")
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the job's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.deleteJob(id));
        }
    }

    @Command(name = "retry", description = {"run a job's failed items again, in a new job (spec.retryOf names this one)",
            "--only retryable leaves out the items whose last failure is Permanent (item.*, url.*, process.*, …)"},
            footerHeading = "%nExamples:%n", footer = {"  sluice jobs retry batchjob_…",
                    "  sluice jobs retry batchjob_… --only retryable --deployment deploy_… --batch-size 8",
                    "  sluice jobs retry batchjob_… --webhook webhook_…"})
    static final class Retry extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the job's id")
        String id;
        @Option(names = "--only", paramLabel = "SCOPE", completionCandidates = Scopes.class,
                description = "${COMPLETION-CANDIDATES} (default all-failed)")
        String only;
        @Option(names = "--deployment", paramLabel = "ID", description = "run the retry on this deployment instead")
        String deployment;
        @Option(names = "--batch-size", paramLabel = "N", description = "items per inference batch instead")
        Integer batchSize;
        @Option(names = "--webhook", paramLabel = "ID", description = "deliver to this webhook instead")
        String webhook;

        static final class Scopes extends java.util.ArrayList<String> {
            Scopes() {
                super(java.util.List.of("retryable", "all-failed"));
            }
        }

        @Override
        int run(SluiceClient c) {
            Map<String, Object> overrides = new LinkedHashMap<>();
            if (deployment != null) {
                overrides.put("deployment", Map.of("deploymentId", deployment));
            }
            if (batchSize != null) {
                overrides.put("batchSize", batchSize);
            }
            if (webhook != null) {
                overrides.put("resultDelivery", Map.of("destinations",
                        java.util.List.of(Map.of("kind", "Webhook", "webhookId", webhook))));
            }
            return print(c.retry(id, only, overrides.isEmpty() ? null : overrides));
        }
    }

    @Command(name = "wait", description = {"wait for a job to end, with a live progress bar on stderr; prints the job",
            "exit 0 when its status.outcome is Succeeded (every item delivered), 4 otherwise (PartiallySucceeded",
            "unless --allow-failures, Failed, Stopped, or still running after --timeout-s)"},
            footerHeading = "%nExamples:%n", footer = {"  sluice jobs wait batchjob_…",
                    "  sluice jobs wait batchjob_… --timeout-s 600 --output json > job.json"})
    static final class Wait extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the job's id")
        String id;
        @Option(names = "--timeout-s", paramLabel = "S", defaultValue = "86400",
                description = "give up waiting after S seconds (default ${DEFAULT-VALUE})")
        long timeoutS;
        @Option(names = "--allow-failures", description = "exit 0 for a PartiallySucceeded job too")
        boolean allowFailures;

        @Override
        int run(SluiceClient c) {
            ProgressBar bar = new ProgressBar(err());
            JsonNode job;
            try {
                job = c.waitUntilDone(id, Duration.ofMillis(500), Duration.ofSeconds(timeoutS), j -> {
                    JsonNode s = j.path("status");
                    JsonNode items = s.path("items");
                    long terminal = items.path("delivered").asLong() + items.path("failedGather").asLong()
                            + items.path("failedProcess").asLong() + items.path("failedPredict").asLong()
                            + items.path("failedDeliver").asLong() + items.path("skipped").asLong();
                    long total = s.path("itemCount").asLong();
                    JsonNode rate = s.path("progress").path("itemsPerSecond");
                    bar.show(String.format(Locale.ROOT, "%-9s", s.path("overview").asText()), terminal, Math.max(1, total),
                            terminal + "/" + total + "  " + (rate.isNumber()
                                    ? String.format(Locale.ROOT, "%.1f", rate.asDouble()) : "-") + " items/s");
                });
            } finally {
                bar.end();
            }
            print(job);
            JsonNode s = job.path("status");
            String state = s.path("overview").asText();
            long delivered = s.path("items").path("delivered").asLong();
            long count = s.path("itemCount").asLong();
            String outcome = SluiceClient.outcome(job);
            int exit = Main.waitExit(outcome, allowFailures);
            if (exit != Main.OK || !"Succeeded".equals(outcome)) {
                err().println("job " + id + " is " + state + (outcome == null ? "" : " (" + outcome + ")") + " with "
                        + delivered + " of " + count + " items delivered"
                        + (delivered < count ? " (jobs logs " + id + " --min-level Error)" : ""));
            }
            return exit;
        }
    }

    @Command(name = "logs", description = {"a job's log entries, oldest first; with --follow, until the job ends",
            "--output json/yaml prints one array (written entry by entry, also with --follow)"},
            footerHeading = "%nExamples:%n", footer = {"  sluice jobs logs batchjob_… --min-level Error",
                    "  sluice jobs logs batchjob_… --follow",
                    "  sluice jobs logs batchjob_… --output json | jq '.[] | select(.level == \"Error\")'"})
    static final class Logs extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the job's id")
        String id;
        @Option(names = "--min-level", paramLabel = "LEVEL", description = "${COMPLETION-CANDIDATES} (default Info: every entry)")
        Level minLevel;
        @Option(names = "--follow", description = "keep printing new entries until the job ends")
        boolean follow;

        @Override
        int run(SluiceClient c) {
            String query = "limit=1000" + (minLevel != null ? "&minLevel=" + minLevel.name() : "");
            long after = -1;
            try (Printer.Rows rows = printer().rows(null, e -> String.format(Locale.ROOT, "%s %-5s %-18s #%-6s %s %s",
                    Printer.time(e.path("createTime")), e.path("level").asText(), e.path("kind").asText(),
                    e.path("index").asText(), e.path("item").asText(""), e.path("reason").asText("")))) {
                do {
                    Iterator<JsonNode> entries = c.allLogs(id, query + "&afterTime=" + after);
                    while (entries.hasNext()) {
                        JsonNode e = entries.next();
                        after = Math.max(after, e.path("createTime").asLong());
                        rows.add(e);
                    }
                    if (follow) {
                        String state = c.job(id).path("status").path("overview").asText();
                        if (!state.equals(JobState.Waiting.name()) && !state.equals(JobState.Running.name())) {
                            break;
                        }
                        SluiceClient.sleep(1000);
                    }
                } while (follow);
            }
            return Main.OK;
        }
    }

    @Command(name = "items", description = {"a job's committed item outcomes in commit order (index, status, prediction"
            + " or reason); with --follow, as they are committed, until the job has counted every item",
            "--output json/yaml prints one array (written item by item, also with --follow)"},
            footerHeading = "%nExamples:%n", footer = {"  sluice jobs items batchjob_… --follow",
                    "  sluice jobs items batchjob_… --status FailedGather,FailedDeliver",
                    "  sluice jobs items batchjob_… --output json | jq '.[] | select(.status == \"Delivered\") | .prediction'"})
    static final class Items extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the job's id")
        String id;
        @Option(names = "--status", paramLabel = "STATUS", description = "only these statuses, comma-separated: "
                + "Delivered, FailedGather, FailedProcess, FailedPredict, FailedDeliver, Skipped")
        String status;
        @Option(names = "--after", paramLabel = "CURSOR", description = "start after this cursor (a page's nextCursor)")
        String after;
        @Option(names = "--follow", description = "keep printing items as they are committed until the job has counted every item")
        boolean follow;

        @Override
        int run(SluiceClient c) {
            try (Printer.Rows rows = printer().rows(null, e -> String.format(Locale.ROOT, "#%-7s %-13s %s %s",
                    e.path("index").asText(), e.path("status").asText(), e.path("url").asText(""),
                    e.has("prediction") ? e.path("prediction").toString() : e.path("reason").asText("")))) {
                Iterator<JsonNode> items = c.allItems(id, after, status, follow, 1000);
                while (items.hasNext()) {
                    rows.add(items.next());
                }
            }
            return Main.OK;
        }
    }

    @Command(name = "lineage", description = {"a page of a job's lines, each with its final outcome across the job and its"
            + " retries (Delivered, Failed, Skipped, Pending), the job that decided it and how many jobs ran it"},
            footerHeading = "%nExamples:%n", footer = {"  sluice jobs lineage batchjob_… --limit 1000",
                    "  sluice jobs lineage batchjob_… --output json | jq '.data[] | select(.outcome == \"Failed\")'"})
    static final class Lineage extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the job's id (the original: its retries are followed)")
        String id;
        @picocli.CommandLine.Mixin
        Paging paging;

        @Override
        int run(SluiceClient c) {
            return print(c.lineage(id, paging.limit, paging.page));
        }
    }

    @Command(name = "results", description = "download a job's manifest, result parts and errors file into DIR; prints the files",
            footerHeading = "%nExamples:%n", footer = "  sluice jobs results batchjob_… --out results/")
    static final class Results extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the job's id")
        String id;
        @Option(names = "--out", paramLabel = "DIR", description = "the folder to write into (required; created if missing)")
        Path out;

        @Override
        int run(SluiceClient c) {
            Path dir = Path.of(need(out == null ? null : out.toString(), "--out"));
            java.util.List<String> files = new ArrayList<>();
            c.downloadResults(id, dir).forEach(p -> files.add(p.toString()));
            printer().printAll(files);
            return Main.OK;
        }
    }
}
