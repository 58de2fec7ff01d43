package dev.sluice.local;

import com.amazonaws.services.dynamodbv2.local.main.ServerRunner;
import com.amazonaws.services.dynamodbv2.local.server.DynamoDBProxyServer;
import org.elasticmq.NodeAddress;
import org.elasticmq.rest.sqs.SQSRestServer;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import java.util.stream.Stream;

/**
 * DynamoDB Local and ElasticMQ in this JVM, S3Mock as a child process, each on a free port of 127.0.0.1 only (nothing
 * listens on other interfaces: {@code EmulatorBindingTest}). The AWS SDK talks HTTP to them exactly as it talks to
 * AWS. {@link #close()} stops what was started, the child process too (and the child dies with this JVM however it
 * ends: {@link ParentWatch}).
 *
 * <p>State is in memory (tables, queues) and in a temporary folder (objects) by default, gone when the stack stops.
 * With a data directory ({@link #start(Path)}) everything is kept on disk and found again by the next start:
 * DynamoDB Local's database files ({@code -dbPath DIR/dynamodb -sharedDb}), ElasticMQ's queues and messages in an H2
 * database ({@code DIR/sqs}, ElasticMQ's SQL persistence, "messages-storage"; each change is written before the SQS
 * call answers) and S3Mock's objects ({@code DIR/s3}, kept on exit).
 */
public final class EmulatorStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmulatorStack.class);

    private final DynamoDBProxyServer dynamo;
    private final SQSRestServer sqs;
    private final Process s3mock;
    private final Path s3Root;
    private final Thread shutdownHook;
    /** The queues' actor system when this class made it (persistent queues); null otherwise. */
    private final org.apache.pekko.actor.ActorSystem queueSystem;
    private final boolean persistent;
    public final URI dynamoEndpoint;
    public final URI sqsEndpoint;
    public final URI s3Endpoint;

    private EmulatorStack(DynamoDBProxyServer dynamo, URI dynamoEndpoint, SQSRestServer sqs, URI sqsEndpoint,
                          Process s3mock, URI s3Endpoint, Path s3Root, Thread shutdownHook) {
        this(dynamo, dynamoEndpoint, sqs, sqsEndpoint, s3mock, s3Endpoint, s3Root, shutdownHook, null, false);
    }

    private EmulatorStack(DynamoDBProxyServer dynamo, URI dynamoEndpoint, SQSRestServer sqs, URI sqsEndpoint,
                          Process s3mock, URI s3Endpoint, Path s3Root, Thread shutdownHook,
                          org.apache.pekko.actor.ActorSystem queueSystem, boolean persistent) {
        this.queueSystem = queueSystem;
        this.persistent = persistent;
        this.dynamo = dynamo;
        this.sqs = sqs;
        this.s3mock = s3mock;
        this.s3Root = s3Root;
        this.shutdownHook = shutdownHook;
        this.dynamoEndpoint = dynamoEndpoint;
        this.sqsEndpoint = sqsEndpoint;
        this.s3Endpoint = s3Endpoint;
    }

    /**
     * S3Mock's plain-HTTP port is an extra Tomcat connector (its bean {@code httpConnector}) that {@code server.address}
     * does not reach, so it listened on every interface, without authentication (issue 14). S3Mock has no setting for
     * it; this bean definition, added to its Spring sources, sets the connector's address before Tomcat binds it.
     */
    static final String S3MOCK_HTTP_ON_LOOPBACK = """
            <?xml version="1.0" encoding="UTF-8"?>
            <beans xmlns="http://www.springframework.org/schema/beans"
                   xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
                   xsi:schemaLocation="http://www.springframework.org/schema/beans https://www.springframework.org/schema/beans/spring-beans.xsd">
              <bean class="org.springframework.beans.factory.config.MethodInvokingBean" lazy-init="false">
                <property name="targetObject" ref="httpConnector"/>
                <property name="targetMethod" value="setProperty"/>
                <property name="arguments"><list><value>address</value><value>127.0.0.1</value></list></property>
              </bean>
            </beans>
            """;

    private static URI loopback(int port) {
        return URI.create("http://127.0.0.1:" + port);
    }

    /**
     * The emulators: embedded by default; with {@code -Dsluice.aws.endpoint=URL} (or SLUICE_AWS_ENDPOINT) one external
     * endpoint that serves DynamoDB, SQS and S3 (a LocalStack container, e.g. {@code mvn verify -Plocalstack}), and
     * nothing is started.
     */
    public static EmulatorStack start() {
        return start(null);
    }

    /**
     * As {@link #start()}; with a data directory (not null) the emulators keep their state in it and find it again
     * on the next start (see the class comment). An external endpoint ignores it.
     */
    public static EmulatorStack start(Path dataDir) {
        String external = System.getProperty("sluice.aws.endpoint", System.getenv("SLUICE_AWS_ENDPOINT"));
        if (external != null && !external.isBlank()) {
            URI endpoint = URI.create(external);
            return new EmulatorStack(null, endpoint, null, endpoint, null, endpoint, null, null);
        }
        List<AutoCloseable> started = new ArrayList<>();
        Path s3Root = null;
        try {
            // S3Mock first: it is the slowest to start, and the others start while it boots.
            s3Root = dataDir == null ? Files.createTempDirectory("sluice-s3mock")
                    : Files.createDirectories(dataDir.resolve("s3"));
            Path loopbackOnly = beansOf(s3Root);
            Files.writeString(loopbackOnly, S3MOCK_HTTP_ON_LOOPBACK);
            List<String> s3Options = dataDir == null ? List.of()
                    : List.of("--com.adobe.testing.s3mock.store.retain-files-on-exit=true");
            java.util.concurrent.atomic.AtomicReference<S3MockProcess> s3 =
                    new java.util.concurrent.atomic.AtomicReference<>(launchS3Mock(s3Root, loopbackOnly, s3Options));
            started.add(() -> s3.get().process().destroyForcibly());
            // DynamoDB Local and ElasticMQ bind their port at once, but never one S3Mock was given: S3Mock binds its
            // ports only once it has booted, so a port free now may be S3Mock's a second later
            java.util.function.IntPredicate s3MockPort = port -> s3.get().ports().contains(port);

            int dynamoPort = freePort(EmulatorStack::freePort, s3MockPort);
            // DynamoDB Local prints its configuration banner to stdout; keep the demo's output to Sluice's own lines
            java.io.PrintStream stdout = System.out;
            DynamoDBProxyServer dynamo;
            try {
                System.setOut(new java.io.PrintStream(java.io.OutputStream.nullOutputStream()));
                String[] storage = dataDir == null ? new String[]{"-inMemory"} : new String[]{"-dbPath",
                        Files.createDirectories(dataDir.resolve("dynamodb")).toString(), "-sharedDb"};
                List<String> dynamoArgs = new ArrayList<>(List.of(storage));
                dynamoArgs.addAll(List.of("-port", Integer.toString(dynamoPort), "-disableTelemetry"));
                dynamo = ServerRunner.createServerFromCommandLineArgs(dynamoArgs.toArray(String[]::new));
            } finally {
                System.setOut(stdout);
            }
            bindToLoopback(dynamo);
            dynamo.start();
            started.add(dynamo::stop);

            int sqsPort = freePort(EmulatorStack::freePort, s3MockPort);
            var builder = SQSRestServerBuilder.withPort(sqsPort).withInterface("127.0.0.1")
                    .withServerAddress(new NodeAddress("http", "127.0.0.1", sqsPort, ""));
            org.apache.pekko.actor.ActorSystem queueSystem = null;
            if (dataDir != null) {
                queueSystem = org.apache.pekko.actor.ActorSystem.create("elasticmq");
                org.apache.pekko.actor.ActorSystem system = queueSystem;
                started.add(() -> system.terminate());
                builder = PersistentQueues.wire(builder, queueSystem, Files.createDirectories(dataDir.resolve("sqs")));
            }
            SQSRestServer sqs = builder.start();
            sqs.waitUntilStarted();
            started.add(sqs::stopAndWait);
            if (queueSystem != null) {
                PersistentQueues.restore(queueSystem);
            }

            // a cap, not an expectation: S3Mock (a Spring Boot app) took over 60 s to answer on a machine with a load
            // average of 15 on 2 cores, and a stack that gives up then fails a test for the machine's business
            for (int attempt = 1; ; attempt++) {
                try {
                    waitForS3Mock(s3.get(), 600_000);
                    break;
                } catch (IllegalStateException exited) {
                    // a free port is free only when it is asked for: another process may bind it before S3Mock does
                    // ("Address already in use" in its log). Then again, on new ports; any other exit is final.
                    if (attempt >= 3 || !portWasTaken(s3.get().log())) {
                        throw exited;
                    }
                    LOG.info("S3Mock is started again on other ports: {}", exited.getMessage());
                    s3.get().process().destroyForcibly();
                    Runtime.getRuntime().removeShutdownHook(s3.get().hook());
                    s3.set(launchS3Mock(s3Root, loopbackOnly, s3Options));
                }
            }
            return new EmulatorStack(dynamo, loopback(dynamoPort), sqs, loopback(sqsPort), s3.get().process(),
                    loopback(s3.get().port()), s3Root, s3.get().hook(), queueSystem, dataDir != null);
        } catch (Exception e) {
            for (AutoCloseable c : started) {
                try {
                    c.close();
                } catch (Exception ignored) {
                    // best effort
                }
            }
            if (s3Root != null) {
                removeFiles(s3Root, dataDir != null);
            }
            throw new IllegalStateException("the local emulators did not start: " + e.getMessage(), e);
        }
    }

    /** The S3Mock child process's pid (-1 with an external endpoint). */
    public long s3MockPid() {
        return s3mock == null ? -1 : s3mock.pid();
    }

    /**
     * What to say when a call to the emulators failed: whether S3Mock (a child process) still runs, and the end of its
     * log. Empty with an external endpoint.
     */
    public String diagnostics() {
        if (s3mock == null) {
            return "";
        }
        String state = s3mock.isAlive() ? "running" : "exited with code " + s3mock.exitValue();
        return "S3Mock on " + s3Endpoint + " (pid " + s3mock.pid() + ") " + state + "; the end of its log:\n"
                + logTail(logOf(s3Root));
    }

    /** The last 20 lines of a log, or why there are none. */
    private static String logTail(Path log) {
        String text = readLog(log);
        if (text == null) {
            return "(no log at " + log + ")";
        }
        List<String> lines = text.lines().toList();
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    }

    /** A log as ISO-8859-1 (every byte is a character: a log is never unreadable), or null when there is none. */
    private static String readLog(Path log) {
        try {
            return new String(Files.readAllBytes(log), java.nio.charset.StandardCharsets.ISO_8859_1);
        } catch (IOException e) {
            return null;
        }
    }

    /** DynamoDB Local has no bind option; its Jetty connector is set to loopback before it starts. */
    private static void bindToLoopback(DynamoDBProxyServer server) {
        try {
            var field = DynamoDBProxyServer.class.getDeclaredField("server");
            field.setAccessible(true);
            org.eclipse.jetty.server.Server jetty = (org.eclipse.jetty.server.Server) field.get(server);
            for (var connector : jetty.getConnectors()) {
                if (connector instanceof org.eclipse.jetty.server.ServerConnector sc) {
                    sc.setHost("127.0.0.1");
                }
            }
        } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
            LOG.debug("DynamoDB Local keeps its default bind address: {}", e.toString());
        }
    }

    /**
     * {@code n} different free ports of loopback: all are held open at once before any is let go, so no two are the
     * same (two {@link #freePort} calls in a row can draw the same port; S3Mock given one port twice fails on its
     * second connector after its first answered for a moment: CI, 2026-11-30).
     */
    static List<Integer> freePorts(int n) {
        List<ServerSocket> held = new ArrayList<>();
        try {
            for (int i = 0; i < n; i++) {
                held.add(new ServerSocket(0, 50, InetAddress.getLoopbackAddress()));
            }
            return held.stream().map(ServerSocket::getLocalPort).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket socket : held) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // the port is let go either way
                }
            }
        }
    }

    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A free port of loopback that {@code avoid} does not name.
     *
     * @param ports where candidate ports come from ({@link #freePort()})
     */
    static int freePort(java.util.function.IntSupplier ports, java.util.function.IntPredicate avoid) {
        int port = ports.getAsInt();
        while (avoid.test(port)) {
            port = ports.getAsInt();
        }
        return port;
    }

    private static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** The S3Mock jar: -Dsluice.s3mock.jar, $SLUICE_HOME/shared/local/target/emulators, or the Maven repository. */
    static Path s3MockJar() {
        List<Path> candidates = new ArrayList<>();
        String property = System.getProperty("sluice.s3mock.jar");
        if (property != null) {
            candidates.add(Path.of(property));
        }
        String home = System.getenv("SLUICE_HOME");
        if (home != null) {
            candidates.add(Path.of(home, "shared/local/target/emulators/s3mock.jar"));
        }
        String repo = System.getProperty("maven.repo.local",
                System.getProperty("user.home") + File.separator + ".m2" + File.separator + "repository");
        candidates.add(Path.of(repo, "com/adobe/testing/s3mock/5.2.0/s3mock-5.2.0-exec.jar"));
        return candidates.stream().filter(Files::isRegularFile).findFirst().orElseThrow(() ->
                new IllegalStateException("S3Mock jar not found (looked at " + candidates + "); run mvn install first"));
    }

    /**
     * The S3Mock child process, the ports it was given (its S3 API's, then its unused HTTPS port), its shutdown hook and
     * its log file.
     */
    record S3MockProcess(Process process, List<Integer> ports, Thread hook, Path log) {
        /** The port of its S3 API. */
        int port() {
            return ports.get(0);
        }
    }

    private static S3MockProcess launchS3Mock(Path s3Root, Path loopbackOnly, List<String> s3Options) throws IOException {
        return launchS3Mock(s3Root, loopbackOnly, s3Options, freePorts(2));
    }

    /** @param ports the S3 API's port, then the HTTPS port S3Mock also opens (unused) */
    static S3MockProcess launchS3Mock(Path s3Root, Path loopbackOnly, List<String> s3Options, List<Integer> ports)
            throws IOException {
        int s3Port = ports.get(0);
        // its Tomcat's work folders go to a folder of the stack's, removed when the stack stops
        Path scratch = Files.createDirectories(scratchOf(s3Root));
        List<String> s3Command = new ArrayList<>(List.of(javaBinary(), "-Xmx512m", "-Djava.io.tmpdir=" + scratch,
                "-XX:TieredStopAtLevel=1", "-jar", s3MockJar().toString(),
                "--server.port=" + ports.get(1), "--server.address=127.0.0.1",
                "--com.adobe.testing.s3mock.httpPort=" + s3Port, "--http.port=" + s3Port,
                "--spring.main.sources=" + loopbackOnly.toUri(),
                "--com.adobe.testing.s3mock.store.root=" + s3Root,
                "--com.adobe.testing.s3mock.max-payload-size=2GB",
                "--spring.main.banner-mode=off", "--logging.level.root=WARN",
                // its "Started S3MockApplication" line: the readiness check waits for it (waitForS3Mock)
                "--logging.level.com.adobe.testing.s3mock.S3MockApplication=INFO"));
        s3Command.addAll(s3Options);
        Path log = logOf(s3Root);
        // the child dies with this JVM even on kill -9 (ParentWatch: it halts when its stdin, our pipe, closes)
        Process s3mock = new ProcessBuilder(ParentWatch.watched(s3Command))
                .redirectErrorStream(true)
                .redirectOutput(log.toFile())
                .start();
        Thread hook = new Thread(s3mock::destroyForcibly);
        Runtime.getRuntime().addShutdownHook(hook);
        return new S3MockProcess(s3mock, ports, hook, log);
    }

    static boolean portWasTaken(Path log) {
        return logSays(log, "already in use");
    }

    /** What Spring Boot logs once S3Mock's context is up: every connector bound (else the context fails and exits). */
    static final String S3MOCK_STARTED = "Started S3MockApplication";

    /**
     * Waits until S3Mock has started and its S3 port answers as S3Mock. Both, because an answer on the port alone has
     * been wrong. CI, 2026-11-30: S3Mock was given one port for both its connectors (two {@link #freePort} calls drew
     * the same); its HTTPS connector bound it and answered the plain-HTTP probe with a 400 for the moment before the
     * second connector failed ("Address already in use") and S3Mock exited; the old probe took the 400 for "started",
     * and the provisioning met a closed port (connection refused). Likewise another emulator of this JVM may hold the
     * port (S3Mock then exits), and a probe can connect to itself.
     *
     * @throws IllegalStateException when S3Mock exits, or has not started within {@code timeoutMillis}
     */
    static void waitForS3Mock(S3MockProcess s3, long timeoutMillis) throws Exception {
        URI uri = URI.create("http://127.0.0.1:" + s3.port() + "/");
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            if (!s3.process().isAlive()) {
                throw new IllegalStateException("S3Mock exited with code " + s3.process().exitValue()
                        + "; the end of its log:\n" + logTail(s3.log()));
            }
            if (logSays(s3.log(), S3MOCK_STARTED) && answersAsS3(uri)) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("S3Mock did not answer on " + uri + " within " + timeoutMillis + " ms");
    }

    private static boolean logSays(Path log, String line) {
        String text = readLog(log);
        return text != null && text.contains(line);
    }

    /**
     * Whether {@code uri} answers an unauthenticated S3 ListBuckets ({@code GET /}) as S3Mock does: 200 with a
     * {@code ListAllMyBucketsResult} (<a href="https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html">
     * ListBuckets</a>). Not merely an open connection or any HTTP answer: a probe to a free loopback port can connect
     * to itself (TCP simultaneous open, RFC 9293 §3.5) and read its own request back, which
     * {@link HttpURLConnection} takes for an HTTP/0.9 answer with status -1; another server may hold the port.
     */
    static boolean answersAsS3(URI uri) {
        HttpURLConnection c = null;
        try {
            c = (HttpURLConnection) uri.toURL().openConnection();
            c.setConnectTimeout(500);
            c.setReadTimeout(2000);
            if (c.getResponseCode() != 200) {
                return false;
            }
            try (var body = c.getInputStream()) {
                return new String(body.readNBytes(64 * 1024), java.nio.charset.StandardCharsets.UTF_8)
                        .contains("ListAllMyBucketsResult");
            }
        } catch (IOException notYet) {
            return false;
        } finally {
            if (c != null) {
                c.disconnect();
            }
        }
    }

    @Override
    public void close() {
        if (dynamo == null) {
            return; // external endpoint: nothing of ours to stop
        }
        try {
            sqs.stopAndWait();
            if (queueSystem != null) {
                scala.concurrent.Await.result(queueSystem.terminate(), scala.concurrent.duration.Duration.apply(30, "s"));
            }
        } catch (Exception e) {
            LOG.debug("stopping ElasticMQ: {}", e.toString());
        }
        try {
            dynamo.stop();
        } catch (Exception e) {
            LOG.debug("stopping DynamoDB Local: {}", e.toString());
        }
        s3mock.destroy();
        try {
            if (!s3mock.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                s3mock.destroyForcibly();
            }
        } catch (InterruptedException e) {
            s3mock.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running already
        }
        removeFiles(s3Root, persistent);
    }

    /**
     * Removes S3Mock's files: its bean file and scratch folder always; its objects and log unless they are a data
     * directory's (kept for the next start).
     */
    private static void removeFiles(Path s3Root, boolean persistent) {
        deleteTree(beansOf(s3Root));
        deleteTree(scratchOf(s3Root));
        if (persistent) {
            return; // the data directory is the point
        }
        deleteTree(s3Root);
        deleteTree(logOf(s3Root));
    }

    // S3Mock's files beside its object store (s3Root): named in one place each

    /** S3Mock's java.io.tmpdir (its Tomcat's work folders). */
    static Path scratchOf(Path s3Root) {
        return s3Root.resolveSibling(s3Root.getFileName() + "-tmp");
    }

    /** S3Mock's log (stdout and stderr). */
    static Path logOf(Path s3Root) {
        return s3Root.resolveSibling(s3Root.getFileName() + ".log");
    }

    /** The bean definition that binds S3Mock's plain-HTTP connector to loopback ({@link #S3MOCK_HTTP_ON_LOOPBACK}). */
    static Path beansOf(Path s3Root) {
        return s3Root.resolveSibling(s3Root.getFileName() + "-loopback.xml");
    }

    private static void deleteTree(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> files = Files.walk(root)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException e) {
            LOG.debug("removing {}: {}", root, e.toString());
        }
    }
}
