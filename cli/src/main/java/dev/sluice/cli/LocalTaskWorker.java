package dev.sluice.cli;

import dev.sluice.aws.SluiceConfig;
import dev.sluice.local.LocalProvisioner;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * `sluice local`'s task pools (issue 27): one child JVM running the pools' task worker
 * ({@link dev.sluice.function.gpu.TaskWorker}) over the emulators, as an ECS task runs it on AWS. It takes the files of
 * executions whose {@code compute.target} is GpuPool or CpuPool from every pool queue, runs {@code slots} files at
 * once and honours each execution's {@code compute.tasks} through the slot leases. {@link #close()} sends SIGTERM:
 * the worker drains (each file in hand goes back to its queue at a batch boundary) and exits.
 */
public final class LocalTaskWorker implements AutoCloseable {
    static final String DYNAMO = "SLUICE_LOCAL_DYNAMODB_URL";
    static final String SQS = "SLUICE_LOCAL_SQS_URL";
    static final String S3 = "SLUICE_LOCAL_S3_URL";

    private final Process process;

    private LocalTaskWorker(Process process) {
        this.process = process;
    }

    /**
     * Starts the child JVM.
     *
     * @param heap the child's -Xmx (e.g. {@code 256m}); null: the JVM's default
     * @param log  the file the child's stdout and stderr are appended to (JSON log lines)
     */
    public static LocalTaskWorker start(SluiceConfig config, URI dynamo, URI sqs, URI s3, int slots, String heap,
                                        Path log) {
        List<String> command = new java.util.ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        if (heap != null) {
            command.add("-Xmx" + heap);
        }
        // as `sluice` gives its own JVM: Arrow (Feather files) reads direct buffers through java.nio internals; without
        // it every Feather file of a pool execution failed "sun.misc.Unsafe or java.nio.DirectByteBuffer.<init>(long,
        // int) not available" until dead-lettered
        command.add("--add-opens=java.base/java.nio=ALL-UNNAMED");
        command.add("--enable-native-access=ALL-UNNAMED");
        // The class path goes in CLASSPATH, not on the command line: ONNX Runtime 1.29.0 crashes the JVM (SIGSEGV, exit
        // 139, no hs_err file) while it initialises in a process whose command line passes about 4 KB (3,979 bytes
        // ran, 4,000 did not, whatever the arguments are), and a build's class path is several times that.
        command.add(LocalTaskWorker.class.getName());
        // the child halts when `sluice local` ends, however it ended (ParentWatch: its stdin reaches end-of-file)
        ProcessBuilder pb = new ProcessBuilder(dev.sluice.local.ParentWatch.watched(command)).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Map<String, String> env = pb.environment();
        env.put("CLASSPATH", System.getProperty("java.class.path"));
        env.putAll(config.toEnv());
        env.put("SLUICE_POOL", "all");
        env.put("SLUICE_TASK_SLOTS", Integer.toString(slots));
        env.put(DYNAMO, dynamo.toString());
        env.put(SQS, sqs.toString());
        env.put(S3, s3.toString());
        env.putIfAbsent("AWS_REGION", "us-east-1");
        // STS where the parent reaches it (moto's server in tests): executions with iamRoleArn assume the role here too
        String sts = System.getProperty(dev.sluice.aws.AssumedRoles.ENDPOINT_PROPERTY,
                System.getenv(dev.sluice.aws.AssumedRoles.ENDPOINT_VARIABLE));
        if (sts != null && !sts.isBlank()) {
            env.put(dev.sluice.aws.AssumedRoles.ENDPOINT_VARIABLE, sts);
        }
        String secrets = System.getProperty("sluice.secretsDir"); // local stored secrets, as the parent reads them
        if (secrets != null) {
            env.put("SLUICE_SECRETS_DIR", secrets);
        }
        try {
            return new LocalTaskWorker(pb.start());
        } catch (IOException e) {
            throw new UncheckedIOException("starting the local task worker", e);
        }
    }

    /** The child's process id (for SIGTERM from a test: {@code ProcessHandle.of(pid)}). */
    public long pid() {
        return process.pid();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    /** "pid N alive", or "pid N exited with C" (diagnostics). */
    public String describe() {
        return "pid " + process.pid() + (process.isAlive() ? " alive" : " exited with " + process.exitValue());
    }

    /** SIGTERM, then waits for the worker to drain and exit (up to two minutes, ECS's stop timeout). */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(120, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    /** The child's entry point: the task worker over the emulators named by the SLUICE_LOCAL_* variables. */
    public static void main(String[] args) throws Exception {
        dev.sluice.aws.observe.Logs.install("task-worker", dev.sluice.aws.observe.LogFormat.JSON);
        Map<String, String> env = System.getenv();
        var clients = LocalProvisioner.clients(URI.create(env.get(DYNAMO)), URI.create(env.get(SQS)),
                URI.create(env.get(S3)), List.of(new dev.sluice.aws.observe.UsageInterceptor()));
        dev.sluice.function.gpu.TaskWorkerMain.serve(clients.dynamo(), clients.sqs(), clients.s3(), env);
    }
}
