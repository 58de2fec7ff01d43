package dev.sluice.testing;

import org.junit.jupiter.api.Assumptions;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.client.builder.AwsClientBuilder;
import software.amazon.awssdk.awscore.client.builder.AwsSyncClientBuilder;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;

import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * moto's server (an independent AWS emulator: Secrets Manager, EventBridge, STS, IAM, S3 … as moto implements them;
 * {@code python3 -m pip install 'moto[server]'}, which {@code .ci/run} installs) as a child process on a free port
 * of 127.0.0.1, for the adapters no in-JVM emulator covers. One per test class: {@link #start()} in
 * {@code @BeforeAll}, {@link #close()} in {@code @AfterAll}. Where python3 or moto is missing the test is skipped with
 * a message (an aborted assumption), never failed.
 */
public final class MotoServer implements AutoCloseable {
    /** The credentials clients of the tests sign with (moto accepts any unless IAM checks are on). */
    public static final StaticCredentialsProvider CREDENTIALS =
            StaticCredentialsProvider.create(AwsBasicCredentials.create("testing", "testing"));

    private final Process process;
    public final URI endpoint;

    private MotoServer(Process process, URI endpoint) {
        this.process = process;
        this.endpoint = endpoint;
    }

    /** A server with moto's defaults. */
    public static MotoServer start() throws InterruptedException {
        return start(Map.of());
    }

    /**
     * A server with these environment variables besides this JVM's (e.g. {@code INITIAL_NO_AUTH_ACTION_COUNT}, which
     * turns moto's IAM checks on after that many requests), ready when it answers (a condition, with a generous cap
     * for a busy machine).
     */
    public static MotoServer start(Map<String, String> env) throws InterruptedException {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
        Process process;
        try {
            ProcessBuilder builder = new ProcessBuilder("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p",
                    String.valueOf(port)).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
            builder.environment().putAll(env);
            process = builder.start();
        } catch (IOException e) {
            Assumptions.abort("python3 cannot be started: " + e.getMessage());
            throw new AssertionError(e);
        }
        MotoServer server = new MotoServer(process, URI.create("http://127.0.0.1:" + port));
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (true) {
            if (!process.isAlive()) {
                Assumptions.abort("moto's server is not installed (python3 -m pip install 'moto[server]')");
            }
            try {
                HttpURLConnection c = (HttpURLConnection) server.endpoint.resolve("/moto-api/").toURL().openConnection();
                c.setConnectTimeout(1000);
                c.setReadTimeout(5000);
                if (c.getResponseCode() > 0) {
                    return server;
                }
            } catch (IOException notYet) {
                if (System.nanoTime() > deadline) {
                    server.close();
                    throw new IllegalStateException("moto's server did not answer on " + server.endpoint);
                }
                Thread.sleep(100);
            }
        }
    }

    /** A client of the service at this server: region us-east-1, {@link #CREDENTIALS}, the URL connection client. */
    public <B extends AwsClientBuilder<B, C> & AwsSyncClientBuilder<B, C>, C> C client(B builder) {
        return builder.endpointOverride(endpoint).region(Region.US_EAST_1).credentialsProvider(CREDENTIALS)
                .httpClient(UrlConnectionHttpClient.create()).build();
    }

    /** Stops the server (and waits for it), forcibly when it does not stop within 30 s. */
    @Override
    public void close() {
        process.destroy();
        try {
            if (!process.waitFor(30, TimeUnit.SECONDS)) {
                process.destroyForcibly();
            }
        } catch (InterruptedException e) {
            process.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }
}
