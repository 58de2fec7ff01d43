package dev.sluice.client;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * A job shows its end state a moment before its manifest is written, so the results asked for right after
 * {@code waitUntilDone} may answer 409 {@code job.not_complete} (the trial of 2026-12-07 met it with the Python quick
 * start): for an ended job the client asks again; for a job that has not ended it throws at once.
 */
class ResultsOfAnEndedJobTest {
    static final String NOT_COMPLETE = "409 {\"error\":{\"code\":\"job.not_complete\",\"message\":\"not yet\"}}";

    @Test
    void resultsOfAnEndedJob_areAskedAgainWhileItsCompletionIsWritten_butNotForARunningJob() throws Exception {
        assertEquals(List.of("GET /v1/projects/proj_x/batch/jobs/batchjob_1/results",
                        "GET /v1/projects/proj_x/batch/jobs/batchjob_1",
                        "GET /v1/projects/proj_x/batch/jobs/batchjob_1/results"),
                serve(List.of(NOT_COMPLETE, "200 {\"status\":{\"overview\":\"Finished\"}}", "200 {\"parts\":[]}"),
                        null));
        assertEquals(List.of("GET /v1/projects/proj_x/batch/jobs/batchjob_1/results",
                        "GET /v1/projects/proj_x/batch/jobs/batchjob_1"),
                serve(List.of(NOT_COMPLETE, "200 {\"status\":{\"overview\":\"Running\"}}"), "job.not_complete"));
        assertEquals(List.of("GET /v1/projects/proj_x/batch/jobs/batchjob_1/results"),
                serve(List.of("409 {\"error\":{\"code\":\"job.conflict\",\"message\":\"other\"}}"), "job.conflict"));
    }

    /** The requests the client made for the job's results against these answers; {@code throwsCode}: the error. */
    private static List<String> serve(List<String> answers, String throwsCode) throws Exception {
        ConcurrentLinkedQueue<String> script = new ConcurrentLinkedQueue<>(answers);
        List<String> seen = new CopyOnWriteArrayList<>();
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 10);
        server.createContext("/", exchange -> {
            try (exchange) {
                seen.add(exchange.getRequestMethod() + " " + exchange.getRequestURI().getRawPath());
                String answer = script.poll();
                byte[] body = answer.substring(4).getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(Integer.parseInt(answer.substring(0, 3)), body.length);
                exchange.getResponseBody().write(body);
            }
        });
        server.start();
        try {
            SluiceClient client = new SluiceClient("http://127.0.0.1:" + server.getAddress().getPort(), "proj_x", "sk_x");
            if (throwsCode == null) {
                client.completedResults("batchjob_1", Duration.ofMinutes(1), Duration.ofMillis(10));
            } else {
                assertEquals(throwsCode, assertThrows(SluiceClient.Conflict.class,
                        () -> client.completedResults("batchjob_1", Duration.ofMinutes(1), Duration.ofMillis(10))).code);
            }
            return seen;
        } finally {
            server.stop(0);
        }
    }
}
