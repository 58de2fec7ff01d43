package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.sluice.client.SluiceClient;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * `sluice datasets|models|deployments|webhooks|jobs …`: the Java client on the command line. Settings come from
 * flags (--api, --project, --key), then the environment (SLUICE_API_URL, SLUICE_PROJECT, SLUICE_API_KEY), then
 * ~/.sluice/config (api=, project=, key=). Output is a table, or JSON with --output json.
 */
final class ClientCommands {
    static final String USAGE = """
              datasets create --name N --file F.ndjson | get ID | list
              models   create --name N --file F.onnx [--labels L.txt] [--task ImageClassification|ObjectDetection|Tabular]
                       get ID | list | delete ID          (labels are required for image models)
              deployments create --name N --model ID [--target Lambda|GpuPool] [--batch-size N] [--max-concurrency N] | get ID | list | delete ID
              webhooks create --name N --endpoint URL [--max-retries N] [--max-backoff-ms N] | get ID | list
                       update ID [--endpoint URL] [--max-retries N] [--max-backoff-ms N] | rotate ID | test ID | delete ID
              jobs     create --name N --dataset ID (--model ID [--target T] | --deployment ID) [--webhook ID]
                              [--batch-size N] [--start-at MS] [--stop-at MS]
                       list [--limit N] [--page P] | get ID | cancel ID | retry ID
                       wait ID [--timeout-s N]          progress bar; exit 0 on Finished, 3 otherwise
                       logs ID [--min-level Error] [--follow]
                       results ID --out DIR
              keys     create [--name N] | list | revoke ID          the key is shown once, at creation
              executions start --model ID [--build B] --source FOLDER --destination FOLDER
                              [--bucket B | --source-bucket B --destination-bucket B]   (file:///… folders with `sluice local`)
                              [--input-file-type csv|parquet|feather|ndjson] [--output-file-type …]
                              [--job-timeout S] [--file-timeout S] [--parallelism N] [--param KEY=VALUE]… [--wait]
                       get ID | list | cancel ID | wait ID | report ID       wait/--wait: exit 0 on Finished, 3 otherwise
                              [--access-token-name S --access-secret-name S]   secrets of the project (see secrets)
              dlq      list [--limit N] [--page P] | get ID | redrive ID    messages that failed on every attempt
              secrets  create --name N [--value-file F] | rotate NAME [--value-file F] | list | delete NAME
                              the value is read from the file, else typed (hidden) or read from stdin; never shown
              common: --api URL --project ID --key KEY --output table|json
            """;

    private static final ObjectMapper PRETTY = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private final Map<String, String> flags = new HashMap<>();
    /** --param KEY=VALUE, repeated. */
    private final Map<String, String> params = new LinkedHashMap<>();
    private final List<String> positional;
    private final PrintStream out;
    private final PrintStream err;

    ClientCommands(List<String> args, PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
        List<String> rest = new java.util.ArrayList<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (a.startsWith("--")) {
                boolean isSwitch = a.equals("--follow") || a.equals("--wait");
                String value = isSwitch ? "true" : (i + 1 < args.size() ? args.get(++i) : "");
                if (a.equals("--param")) {
                    int eq = value.indexOf('=');
                    if (eq < 1) {
                        throw new IllegalArgumentException("--param takes KEY=VALUE");
                    }
                    params.put(value.substring(0, eq), value.substring(eq + 1));
                } else {
                    flags.put(a.substring(2), value);
                }
            } else {
                rest.add(a);
            }
        }
        this.positional = rest;
    }

    int run() throws Exception {
        String resource = positional.get(0);
        String verb = positional.size() > 1 ? positional.get(1) : "list";
        String id = positional.size() > 2 ? positional.get(2) : null;
        SluiceClient c = client();
        return switch (resource + " " + verb) {
            case "datasets create" -> print(c.createDatasetFromFile(need("name"), Path.of(need("file")), Duration.ofMinutes(30)));
            case "datasets get" -> print(c.dataset(id(id)));
            case "datasets list" -> print(c.datasets(intFlag("limit"), flags.get("page")));
            case "models create" -> print(c.uploadModel(need("name"), flags.getOrDefault("task", "ImageClassification"),
                    Path.of(need("file")), "Tabular".equals(flags.get("task")) && !flags.containsKey("labels") ? null
                            : labels(Path.of(need("labels"))), Duration.ofMinutes(10)));
            case "models get" -> print(c.model(id(id)));
            case "models list" -> print(c.models(intFlag("limit"), flags.get("page")));
            case "models delete" -> print(c.deleteModel(id(id)));
            case "deployments create" -> print(c.createDeployment(need("name"), need("model"),
                    flags.getOrDefault("target", "Lambda"), intFlag("batch-size"), intFlag("max-concurrency")));
            case "deployments get" -> print(c.deployment(id(id)));
            case "deployments list" -> print(c.deployments(intFlag("limit"), flags.get("page")));
            case "deployments delete" -> print(c.deleteDeployment(id(id)));
            case "webhooks create" -> print(c.createWebhook(need("name"), need("endpoint"),
                    intFlag("max-retries") == null ? 3 : intFlag("max-retries"),
                    flags.containsKey("max-backoff-ms") ? Long.parseLong(flags.get("max-backoff-ms")) : 60_000));
            case "webhooks get" -> print(c.webhook(id(id)));
            case "webhooks list" -> print(c.webhooks(intFlag("limit"), flags.get("page")));
            case "webhooks update" -> print(c.updateWebhook(id(id), webhookChanges()));
            case "webhooks rotate" -> print(c.rotateWebhookSecret(id(id)));
            case "webhooks test" -> print(c.testWebhook(id(id)));
            case "webhooks delete" -> print(c.deleteWebhook(id(id)));
            case "jobs create" -> print(c.createJob(need("name"), jobSpec()));
            case "jobs list" -> print(c.jobs(intFlag("limit"), flags.get("page")));
            case "jobs get" -> print(c.job(id(id)));
            case "jobs cancel" -> print(c.cancel(id(id)));
            case "jobs retry" -> print(c.retry(id(id)));
            case "jobs wait" -> waitFor(c, id(id));
            case "keys create" -> print(c.createApiKey(flags.get("name")));
            case "keys list" -> print(c.apiKeys(intFlag("limit"), flags.get("page")));
            case "keys revoke" -> print(c.revokeApiKey(id(id)));
            case "executions start" -> {
                JsonNode started = c.startExecution(executionSpec());
                yield flags.containsKey("wait") ? waitForExecution(c, started.get("id").asText()) : print(started);
            }
            case "executions get" -> print(c.execution(id(id)));
            case "executions list" -> print(c.executions(intFlag("limit"), flags.get("page")));
            case "executions cancel" -> print(c.cancelExecution(id(id)));
            case "executions wait" -> waitForExecution(c, id(id));
            case "executions report" -> report(c, id(id));
            case "secrets create" -> print(c.createSecret(need("name"), secretValue()));
            case "secrets rotate" -> print(c.rotateSecret(id(id), secretValue()));
            case "secrets list" -> print(c.secrets());
            case "secrets delete" -> print(c.deleteSecret(id(id)));
            case "dlq list" -> print(c.deadLetters(intFlag("limit"), flags.get("page")));
            case "dlq get" -> print(c.deadLetter(id(id)));
            case "dlq redrive" -> print(c.redrive(id(id)));
            case "jobs logs" -> logs(c, id(id));
            case "jobs results" -> {
                for (Path p : c.downloadResults(id(id), Path.of(need("out")))) {
                    out.println(p);
                }
                yield 0;
            }
            default -> {
                err.print("unknown command: " + resource + " " + verb + "\n" + USAGE);
                yield 2;
            }
        };
    }

    private SluiceClient client() {
        Map<String, String> given = new HashMap<>();
        for (String flag : List.of("api", "project", "key")) {
            if (flags.containsKey(flag)) {
                given.put(flag, flags.get(flag));
            }
        }
        return SluiceClient.fromSettings(given);
    }

    private Map<String, Object> jobSpec() {
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("datasetId", need("dataset"));
        if (!flags.containsKey("deployment") && !flags.containsKey("model") && System.console() != null) {
            String answer = System.console().readLine("deployment id (or empty to give a model id): ");
            if (answer != null && !answer.isBlank()) {
                flags.put("deployment", answer.trim());
            }
        }
        if (flags.containsKey("deployment")) {
            spec.put("deployment", Map.of("deploymentId", flags.get("deployment")));
        } else {
            spec.put("deployment", Map.of("modelId", need("model"), "target", flags.getOrDefault("target", "Lambda")));
        }
        if (flags.containsKey("webhook")) {
            spec.put("resultDelivery", Map.of("destinations", List.of(Map.of("kind", "Webhook", "webhookId", flags.get("webhook")))));
        }
        if (flags.containsKey("batch-size")) {
            spec.put("batchSize", intFlag("batch-size"));
        }
        if (flags.containsKey("start-at")) {
            spec.put("startAtTime", Long.parseLong(flags.get("start-at")));
        }
        if (flags.containsKey("stop-at")) {
            spec.put("stopAtTime", Long.parseLong(flags.get("stop-at")));
        }
        return spec;
    }

    private Map<String, Object> executionSpec() {
        Map<String, Object> spec = new LinkedHashMap<>();
        Map<String, Object> model = new LinkedHashMap<>();
        model.put("id", need("model"));
        if (flags.containsKey("build")) {
            model.put("build", flags.get("build"));
        }
        spec.put("model", model);
        for (String[] f : new String[][]{{"bucket", "bucket"}, {"source-bucket", "sourceBucket"},
                {"destination-bucket", "destinationBucket"}, {"input-file-type", "inputFileType"},
                {"output-file-type", "outputFileType"}, {"access-token-name", "accessTokenName"},
                {"access-secret-name", "accessSecretName"}}) {
            if (flags.containsKey(f[0])) {
                spec.put(f[1], flags.get(f[0]));
            }
        }
        spec.put("sourceFolder", need("source"));
        spec.put("destinationFolder", need("destination"));
        for (String[] f : new String[][]{{"job-timeout", "jobTimeout"}, {"file-timeout", "fileTimeout"},
                {"parallelism", "parallelism"}}) {
            if (flags.containsKey(f[0])) {
                spec.put(f[1], Long.parseLong(flags.get(f[0])));
            }
        }
        if (!params.isEmpty()) {
            spec.put("parameters", params);
        }
        return spec;
    }

    /** Polls the execution, showing finished/total files on stderr; exit code 0 on Finished, 3 otherwise. */
    private int waitForExecution(SluiceClient c, String executionId) {
        long deadline = System.currentTimeMillis()
                + (flags.containsKey("timeout-s") ? Long.parseLong(flags.get("timeout-s")) : 24 * 3600) * 1000;
        JsonNode e;
        while (true) {
            e = c.execution(executionId);
            JsonNode s = e.path("status");
            err.printf("\r%-9s %d/%s files, %d failed", s.path("overview").asText(), s.path("finishedFiles").asLong(),
                    s.path("totalFiles").asText("?"), s.path("failedFiles").asLong());
            err.flush();
            String state = s.path("overview").asText();
            if (!state.equals("Pending") && !state.equals("Running") || System.currentTimeMillis() > deadline) {
                break;
            }
            SluiceClient.sleep(500);
        }
        err.println();
        print(e);
        return "Finished".equals(e.path("status").path("overview").asText()) ? 0 : 3;
    }

    private int report(SluiceClient c, String executionId) {
        List<JsonNode> files = c.executionFiles(executionId);
        if (isJson()) {
            files.forEach(f -> out.println(f.toString()));
            return 0;
        }
        out.println("INDEX\tSTATUS\tROWS\tFAILED_ROWS\tFILE\tOUTPUT\tREASON");
        for (JsonNode f : files) {
            out.println(String.join("\t", cell(f, "index"), cell(f, "status"), cell(f, "rows"), cell(f, "failedRows"),
                    cell(f, "file"), cell(f, "output"), cell(f, "reason")));
        }
        return 0;
    }

    private Map<String, Object> webhookChanges() {
        Map<String, Object> spec = new LinkedHashMap<>();
        if (flags.containsKey("endpoint")) {
            spec.put("endpoint", flags.get("endpoint"));
        }
        if (flags.containsKey("max-retries") || flags.containsKey("max-backoff-ms")) {
            Map<String, Object> retries = new LinkedHashMap<>();
            if (flags.containsKey("max-retries")) {
                retries.put("maxRetries", intFlag("max-retries"));
            }
            if (flags.containsKey("max-backoff-ms")) {
                retries.put("maxBackoffMs", Long.parseLong(flags.get("max-backoff-ms")));
            }
            spec.put("retries", retries);
        }
        return Map.of("spec", spec);
    }

    /** A live progress bar on stderr; exit code 0 on Finished, 3 on any other ending. */
    private int waitFor(SluiceClient c, String jobId) {
        long timeout = flags.containsKey("timeout-s") ? Long.parseLong(flags.get("timeout-s")) : 24 * 3600;
        JsonNode job = c.waitUntilDone(jobId, Duration.ofMillis(500), Duration.ofSeconds(timeout), j -> {
            JsonNode s = j.path("status");
            long total = Math.max(1, s.path("itemCount").asLong());
            JsonNode items = s.path("items");
            long terminal = items.path("delivered").asLong() + items.path("failedGather").asLong()
                    + items.path("failedProcess").asLong() + items.path("failedPredict").asLong()
                    + items.path("failedDeliver").asLong() + items.path("skipped").asLong();
            int width = 30;
            int filled = (int) (width * terminal / total);
            err.printf("\r%-9s [%s%s] %d/%d  %s items/s", s.path("overview").asText(), "#".repeat(filled),
                    ".".repeat(width - filled), terminal, total,
                    s.path("progress").path("itemsPerSecond").isNumber()
                            ? String.format("%.1f", s.path("progress").path("itemsPerSecond").asDouble()) : "-");
            err.flush();
        });
        err.println();
        print(job);
        return "Finished".equals(job.path("status").path("overview").asText()) ? 0 : 3;
    }

    private int logs(SluiceClient c, String jobId) {
        String query = "maxEntries=1000" + (flags.containsKey("min-level") ? "&minLevel=" + flags.get("min-level") : "");
        long after = -1;
        do {
            Iterator<JsonNode> entries = c.allLogs(jobId, query + "&afterTime=" + after);
            while (entries.hasNext()) {
                JsonNode e = entries.next();
                after = Math.max(after, e.path("createTime").asLong());
                out.println(isJson() ? e.toString() : String.format("%d %-5s %-18s #%-6s %s %s", e.path("createTime").asLong(),
                        e.path("level").asText(), e.path("kind").asText(), e.path("index").asText(),
                        e.path("item").asText(""), e.path("reason").asText("")));
            }
            if (flags.containsKey("follow")) {
                String state = c.job(jobId).path("status").path("overview").asText();
                if (!state.equals("Waiting") && !state.equals("Running")) {
                    break;
                }
                SluiceClient.sleep(1000);
            }
        } while (flags.containsKey("follow"));
        return 0;
    }

    private int print(JsonNode node) {
        if (isJson()) {
            try {
                out.println(PRETTY.writeValueAsString(node));
            } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                throw new IllegalStateException(e);
            }
            return 0;
        }
        if (node.has("data")) {
            String object = node.get("data").path(0).path("object").asText();
            List<String> columns = switch (object) {
                case "dead_letter" -> List.of("id", "queue", "jobId", "lines", "redriveJobId");
                case "api_key" -> List.of("id", "name", "prefix", "createTime", "revokedTime");
                case "execution" -> List.of("id", "status.overview", "status.finishedFiles", "status.failedFiles",
                        "status.totalFiles", "spec.source.path");
                default -> List.of("id", "name", "status.overview");
            };
            out.println(String.join("\t", columns.stream().map(c -> c.toUpperCase(java.util.Locale.ROOT)).toList()));
            for (JsonNode row : node.get("data")) {
                out.println(String.join("\t", columns.stream().map(c -> cell(row, c)).toList()));
            }
        }
        if (node.has("data")) {
            if (node.hasNonNull("nextPage")) {
                out.println("next page: --page " + node.get("nextPage").asText());
            }
            return 0;
        }
        node.fields().forEachRemaining(f -> {
            JsonNode v = f.getValue();
            String text = v.isValueNode() ? v.asText() : v.toString();
            out.printf("%-16s %s%n", f.getKey(), text.length() > 160 ? text.substring(0, 157) + "..." : text);
        });
        return 0;
    }

    /** A table cell: a dotted path into the row; arrays show their size; missing values show as "-". */
    private static String cell(JsonNode row, String path) {
        JsonNode v = row;
        for (String part : path.split("\\.")) {
            v = v.path(part);
        }
        return v.isMissingNode() || v.isNull() ? "-" : v.isArray() ? Integer.toString(v.size()) : v.asText();
    }

    private boolean isJson() {
        return "json".equals(flags.get("output"));
    }

    /** A required flag; in a terminal, asked for when missing (as the reference CLI prompts). */
    private String need(String flag) {
        String v = flags.get(flag);
        java.io.Console console = System.console();
        if ((v == null || v.isBlank()) && console != null) {
            v = console.readLine("%s: ", flag);
            flags.put(flag, v);
        }
        if (v == null || v.isBlank()) {
            throw new IllegalArgumentException("--" + flag + " is required");
        }
        return v;
    }

    /**
     * A secret's value, never a flag (it would stay in the shell's history): the file --value-file names (a trailing
     * newline dropped), else typed without echo, else the first line of stdin.
     */
    private String secretValue() throws java.io.IOException {
        if (flags.containsKey("value-file")) {
            return java.nio.file.Files.readString(Path.of(flags.get("value-file"))).stripTrailing();
        }
        java.io.Console console = System.console();
        if (console != null) {
            char[] typed = console.readPassword("value: ");
            return typed == null ? "" : new String(typed);
        }
        String line = new java.io.BufferedReader(new java.io.InputStreamReader(System.in,
                java.nio.charset.StandardCharsets.UTF_8)).readLine();
        return line == null ? "" : line.stripTrailing();
    }

    private static String id(String id) {
        if (id == null) {
            throw new IllegalArgumentException("give the id");
        }
        return id;
    }

    private Integer intFlag(String flag) {
        return flags.containsKey(flag) ? Integer.valueOf(flags.get(flag)) : null;
    }

    static List<String> labels(Path file) throws java.io.IOException {
        return dev.sluice.core.model.Labels.parse(Files.readAllLines(file));
    }
}
