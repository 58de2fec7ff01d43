package dev.sluice.bench;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.sluice.testing.HandlerFixture;
import dev.sluice.local.Samples;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Cold start of each function in JVM mode, as Lambda runs it: the function's Quarkus build (the runner jar that function.zip holds) is
 * started as a process that talks to a local implementation of the Lambda Runtime API, which hands it one sample
 * event from events/. Measured: process start → first poll for an event (init), → first response (first event
 * handled), and the peak RSS of the process. The inference function is also started as Lambda initialises it for a
 * SnapStart snapshot ({@code AWS_LAMBDA_INITIALIZATION_TYPE=snap-start}): it primes at init, the runtime client runs
 * its beforeCheckpoint hooks and asks {@code /restore/next}, which ends init here (no snapshot is taken locally: the
 * same process goes on, as a restored one would, without the restore's own time).
 */
final class ColdStartBench {
    /**
     * @param primed the init was Lambda's SnapStart one ({@code AWS_LAMBDA_INITIALIZATION_TYPE=snap-start}): the
     *               function primed itself at init (SnapStartPriming). With SnapStart the snapshot holds everything
     *               up to {@code initMs}; a restored environment runs only {@link #afterInitMs} (plus the restore)
     */
    record Result(String function, boolean primed, double initMs, double firstEventMs, double rssMb, int responseBytes,
                  String error) {
        /** The first event's own time: from the first poll for it to its response. */
        double afterInitMs() {
            return firstEventMs - initMs;
        }
    }

    static List<Result> run(Path home) throws Exception {
        return run(home, function -> true);
    }

    /** @param which the functions to start (by name: api, fanout, inference, delivery) */
    static List<Result> run(Path home, java.util.function.Predicate<String> which) throws Exception {
        try (HandlerFixture f = new HandlerFixture(); dev.sluice.local.WebhookReceiver receiver = new dev.sluice.local.WebhookReceiver()) {
            f.readyModel();
            f.webhook(receiver.url(), dev.sluice.core.webhook.WebhookSignature.newSecret());
            f.job(3, null);
            f.itemsBucket();
            f.clients.s3().putObject(b -> b.bucket(HandlerFixture.ITEMS_BUCKET).key("photos/goldfish.jpg"),
                    software.amazon.awssdk.core.sync.RequestBody.fromBytes(Samples.bytes(Samples.image("goldfish.jpg"))));
            List<Result> results = new java.util.ArrayList<>();
            for (String[] run : new String[][]{{"api", "api-list-jobs.json", ""}, {"fanout", "sqs-fanout.json", ""},
                    {"inference", "sqs-inference.json", ""}, {"inference", "sqs-inference.json", "primed"},
                    {"delivery", "sqs-delivery.json", ""}}) {
                if (which.test(run[0])) {
                    results.add(one(home, f, run[0], run[1], !run[2].isEmpty()));
                }
            }
            return results;
        }
    }

    private static Result one(Path home, HandlerFixture f, String function, String eventFile, boolean primed)
            throws Exception {
        // The Lambda extension packages a runner jar with its lib/ folder (what function.zip holds); the managed java21
        // runtime loads it with its runtime interface client, which polls the Runtime API and calls the handler.
        Path target = home.resolve("functions/" + function + "/target");
        String classpath = target.resolve("sluice-function-" + function + "-0.1.0-SNAPSHOT-runner.jar") + java.io.File.pathSeparator
                + target.resolve("lib") + "/*" + java.io.File.pathSeparator + runtimeClientClasspath();
        String event = Files.readString(home.resolve("events/" + eventFile));
        RuntimeApi api = new RuntimeApi(event);
        try {
            ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xmx1g", "--enable-native-access=ALL-UNNAMED", "-cp", classpath,
                    "com.amazonaws.services.lambda.runtime.api.client.AWSLambda",
                    "io.quarkus.amazon.lambda.runtime.QuarkusStreamHandler::handleRequest").redirectErrorStream(true)
                    .redirectOutput(Files.createTempFile("sluice-coldstart-" + function, ".log").toFile());
            Map<String, String> env = pb.environment();
            env.putAll(f.config.toEnv());
            env.put("AWS_LAMBDA_RUNTIME_API", "127.0.0.1:" + api.port());
            env.put("AWS_REGION", "us-east-1");
            env.put("AWS_ACCESS_KEY_ID", "local");
            env.put("AWS_SECRET_ACCESS_KEY", "local");
            env.put("AWS_LAMBDA_FUNCTION_NAME", "sluice-" + function);
            env.put("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048");
            // what Lambda sets while it initialises for a SnapStart snapshot (or on demand): the function primes for the former
            env.put("AWS_LAMBDA_INITIALIZATION_TYPE", primed ? "snap-start" : "on-demand");
            env.put("QUARKUS_DYNAMODB_ENDPOINT_OVERRIDE", f.emulators.dynamoEndpoint.toString());
            env.put("QUARKUS_SQS_ENDPOINT_OVERRIDE", f.emulators.sqsEndpoint.toString());
            env.put("QUARKUS_S3_ENDPOINT_OVERRIDE", f.emulators.s3Endpoint.toString());
            env.put("QUARKUS_S3_PATH_STYLE_ACCESS", "true");
            long start = System.nanoTime();
            Process process = pb.start();
            try {
                long initNanos = api.firstPoll.get(60, TimeUnit.SECONDS) - start;
                String response = api.response.get(120, TimeUnit.SECONDS);
                long firstNanos = api.responseAt - start;
                double rss = 0;
                for (String line : Files.readAllLines(Path.of("/proc/" + process.pid() + "/status"))) {
                    if (line.startsWith("VmHWM:")) {
                        rss = Double.parseDouble(line.replaceAll("[^0-9]", "")) / 1024;
                    }
                }
                return new Result(function, primed, initNanos / 1e6, firstNanos / 1e6, rss, response.length(), api.error);
            } finally {
                process.destroy();
                if (!process.waitFor(10, TimeUnit.SECONDS)) {
                    process.destroyForcibly();
                }
            }
        } finally {
            api.close();
        }
    }

    /** The runtime interface client's jars, from this JVM's classpath. */
    private static String runtimeClientClasspath() {
        return java.util.Arrays.stream(System.getProperty("java.class.path").split(java.io.File.pathSeparator))
                .flatMap(ColdStartBench::expandWildcard)
                .filter(e -> e.contains("aws-lambda-java-runtime-interface-client") || e.contains("aws-lambda-java-serialization"))
                .collect(java.util.stream.Collectors.joining(java.io.File.pathSeparator));
    }

    private static java.util.stream.Stream<String> expandWildcard(String entry) {
        if (!entry.endsWith("*")) {
            return java.util.stream.Stream.of(entry);
        }
        java.io.File[] files = new java.io.File(entry.substring(0, entry.length() - 1)).listFiles();
        return files == null ? java.util.stream.Stream.empty()
                : java.util.Arrays.stream(files).map(java.io.File::getPath);
    }

    /** The Lambda Runtime API (2018-06-01): next invocation, its response, and errors. One event, then idle. */
    private static final class RuntimeApi implements AutoCloseable {
        final CompletableFuture<Long> firstPoll = new CompletableFuture<>();
        final CompletableFuture<String> response = new CompletableFuture<>();
        final BlockingQueue<String> events = new ArrayBlockingQueue<>(1);
        volatile long responseAt;
        volatile String error;
        private final HttpServer server;

        RuntimeApi(String event) throws IOException {
            events.add(event);
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
            server.setExecutor(java.util.concurrent.Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r);
                t.setDaemon(true);
                return t;
            }));
            server.createContext("/2018-06-01/runtime/", this::serve);
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        private void serve(HttpExchange exchange) throws IOException {
            try (exchange) {
                String path = exchange.getRequestURI().getPath();
                byte[] body = exchange.getRequestBody().readAllBytes();
                if (path.endsWith("/restore/next")) {
                    // SnapStart's init (AWS_LAMBDA_INITIALIZATION_TYPE=snap-start): the runtime client runs the
                    // beforeCheckpoint hooks and asks to be restored; here the snapshot is the running process, and
                    // "init" ends at this point (what a snapshot would hold)
                    firstPoll.complete(System.nanoTime());
                    exchange.sendResponseHeaders(200, -1);
                } else if (path.endsWith("/invocation/next")) {
                    firstPoll.complete(System.nanoTime());
                    String event;
                    try {
                        event = events.poll(1, TimeUnit.HOURS);
                    } catch (InterruptedException e) {
                        return;
                    }
                    if (event == null) {
                        return;
                    }
                    byte[] bytes = event.getBytes(StandardCharsets.UTF_8);
                    exchange.getResponseHeaders().add("Lambda-Runtime-Aws-Request-Id", "cold-start-1");
                    exchange.getResponseHeaders().add("Lambda-Runtime-Deadline-Ms", Long.toString(System.currentTimeMillis() + 120_000));
                    exchange.getResponseHeaders().add("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:sluice");
                    exchange.getResponseHeaders().add("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000");
                    exchange.getResponseHeaders().add("Lambda-Runtime-Client-Context", "{}");
                    exchange.getResponseHeaders().add("Lambda-Runtime-Cognito-Identity", "{}");
                    exchange.getResponseHeaders().add("Content-Type", "application/json");
                    exchange.sendResponseHeaders(200, bytes.length);
                    exchange.getResponseBody().write(bytes);
                } else if (path.endsWith("/response")) {
                    responseAt = System.nanoTime();
                    exchange.sendResponseHeaders(202, -1);
                    response.complete(new String(body, StandardCharsets.UTF_8));
                } else {
                    error = new String(body, StandardCharsets.UTF_8);
                    responseAt = System.nanoTime();
                    exchange.sendResponseHeaders(202, -1);
                    firstPoll.complete(System.nanoTime());
                    response.complete("ERROR " + error);
                }
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
