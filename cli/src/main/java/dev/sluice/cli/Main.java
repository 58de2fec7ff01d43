package dev.sluice.cli;

import java.util.List;
import java.util.concurrent.CountDownLatch;

/** The `sluice` command. */
public final class Main {
    private static final String USAGE = """
            usage: sluice <command>
              local [--port N] [--strict] [--data-dir DIR]
                                 run the whole stack on embedded emulators (API on 127.0.0.1:N, default 8080);
                                 --strict: the rules of AWS (no loopback/private URLs, no file:// items or folders);
                                 state is in memory, or kept in DIR and resumed from it by the next start
              demo  [--port N]   run the bundled classifier on the bundled photos through a local stack
              test | bench       (the ./sluice script) the test suite | the benchmarks
            environment: SLUICE_API_KEY  the API key `local` registers (a random one otherwise)
                         SLUICE_ALLOW_LOCAL_URLS=true  `local` lets loopback/private URLs and file:// through
                         SLUICE_ITEM_BUCKETS, SLUICE_EXECUTION_BUCKETS  buckets s3:// items, executions may name
            client commands, against any Sluice API:
            """ + ClientCommands.USAGE;

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        List<String> a = List.of(args);
        if (a.isEmpty() || a.contains("-h") || a.contains("--help")) {
            System.out.print(USAGE);
            System.exit(a.isEmpty() ? 2 : 0);
        }
        String command = a.get(0);
        int port = command.equals("local") || command.equals("demo")
                ? intOption(a, "--port", command.equals("demo") ? 0 : 8080) : 0;
        switch (command) {
            case "local" -> {
                LocalStack.Access access;
                try {
                    access = LocalStack.Access.fromEnvironment(System.getenv(), a.contains("--strict"));
                } catch (IllegalArgumentException e) {
                    System.err.println(e.getMessage());
                    System.exit(2);
                    return;
                }
                local(port, access, stringOption(a, "--data-dir"));
            }
            case "demo" -> {
                int code;
                // the demo serves its photos and its webhook receiver on loopback: it turns local URLs on, explicitly
                LocalStack.Access demo = new LocalStack.Access(true, List.of(), List.of());
                try (LocalStack stack = LocalStack.start(LocalStack.Options.defaults(port, System.getenv("SLUICE_API_KEY"), demo))) {
                    code = Demo.run(stack, System.out);
                }
                System.exit(code);
            }
            case "datasets", "models", "deployments", "webhooks", "jobs", "executions", "dlq", "keys", "secrets" -> System.exit(client(a, System.out, System.err));
            default -> {
                System.err.print("unknown command " + command + "\n" + USAGE);
                System.exit(2);
            }
        }
    }

    /** Runs a client command; returns the exit code (errors are printed, not thrown). */
    static int client(List<String> args, java.io.PrintStream out, java.io.PrintStream err) {
        try {
            return new ClientCommands(args, out, err).run();
        } catch (dev.sluice.client.SluiceClient.ApiException e) {
            err.println(e.getMessage());
            return 1;
        } catch (IllegalArgumentException | IllegalStateException e) {
            err.println(e.getMessage());
            return 2;
        } catch (Exception e) {
            err.println(e);
            return 1;
        }
    }

    private static void local(int port, LocalStack.Access access, String dataDir) throws InterruptedException {
        LocalStack.Options options = LocalStack.Options.defaults(port, System.getenv("SLUICE_API_KEY"), access)
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
        System.out.println("State: " + (dataDir == null ? "in memory (gone when the stack stops; keep it with --data-dir DIR)"
                : "kept in " + java.nio.file.Path.of(dataDir).toAbsolutePath()));
        System.out.println("Ctrl-C stops the stack.");
        stopped.await();
    }

    private static String stringOption(List<String> args, String name) {
        int i = args.indexOf(name);
        if (i < 0) {
            return null;
        }
        if (i + 1 >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return args.get(i + 1);
    }

    private static int intOption(List<String> args, String name, int fallback) {
        int i = args.indexOf(name);
        if (i < 0) {
            return fallback;
        }
        if (i + 1 >= args.size()) {
            throw new IllegalArgumentException(name + " needs a value");
        }
        return Integer.parseInt(args.get(i + 1));
    }
}
