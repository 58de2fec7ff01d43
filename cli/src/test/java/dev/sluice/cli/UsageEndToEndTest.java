package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.client.SluiceClient;
import dev.sluice.core.usage.PriceTable;
import dev.sluice.core.usage.Usage;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.local.PipelineRequests;
import dev.sluice.local.Samples;
import dev.sluice.local.StageWrapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.slf4j.MDC;
import software.amazon.awssdk.core.interceptor.Context;
import software.amazon.awssdk.core.interceptor.ExecutionAttributes;
import software.amazon.awssdk.core.interceptor.ExecutionInterceptor;
import software.amazon.awssdk.core.interceptor.SdkExecutionAttribute;

import java.time.Duration;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 23 item 5 through the REST API on the emulators: a job's {@code status.usage} counts what the pipeline's
 * invocations did for it (compared with an SDK interceptor of the test's own), its estimate is the dated price
 * table's arithmetic, {@code GET /usage} sums the project's days, and another project sees none of it.
 */
class UsageEndToEndTest {
    static final String OTHER = "proj_usageother";
    static final String OTHER_KEY = "sk_usage_other_example_key_01";
    /** A project whose job runs beside one of the main project's (OTHER must see no usage at all). */
    static final String BESIDE = "proj_usagebeside";
    static final String BESIDE_KEY = "sk_usage_beside_example_key_01";
    static final Invocations SEEN = new Invocations();
    /** The pipeline's requests for the job that runs, by operation (the bench's comparison, README "Usage and cost"). */
    static final PipelineRequests PIPELINE = new PipelineRequests();
    static StackUnderTest under;

    /** Requests the functions made while serving an invocation (their log scope names one), by service. */
    static final class Invocations implements ExecutionInterceptor {
        final AtomicLong sqs = new AtomicLong();
        final AtomicLong s3 = new AtomicLong();
        final AtomicLong dynamo = new AtomicLong();

        @Override
        public void afterExecution(Context.AfterExecution context, ExecutionAttributes attributes) {
            if (MDC.get("function_request_id") == null) {
                return;
            }
            String service = attributes.getAttribute(SdkExecutionAttribute.SERVICE_NAME);
            String operation = attributes.getAttribute(SdkExecutionAttribute.OPERATION_NAME);
            switch (service) {
                case "Sqs" -> sqs.incrementAndGet();
                case "S3" -> {
                    if (!operation.startsWith("Delete")) {
                        s3.incrementAndGet();
                    }
                }
                default -> dynamo.incrementAndGet();
            }
        }
    }

    @BeforeAll
    static void start() {
        under = new StackUnderTest(Samples.root().resolve("images"), LocalProvisioner.QueueSettings.TEST,
                StageWrapper.NONE, true, List.of(SEEN, PIPELINE));
        LocalProvisioner.bootstrapKey(under.stack.clients.dynamo(), under.stack.services.config(), OTHER, OTHER_KEY);
        LocalProvisioner.bootstrapKey(under.stack.clients.dynamo(), under.stack.services.config(), BESIDE, BESIDE_KEY);
    }

    @AfterAll
    static void stop() {
        if (under != null) {
            under.close();
        }
    }

    @Test
    void finishedJob_showsItsUsage_theEstimateIsThePriceTablesArithmetic_andOnlyItsProjectSeesTheSum() {
        SluiceClient client = under.client;
        long sqsBefore = SEEN.sqs.get();
        long s3Before = SEEN.s3.get();
        LocalJobs.Run run = under.jobs.startJob(under.jobs.photoLines(12), 4, "Lambda");
        String jobId = run.job().get("id").asText();
        JsonNode job = client.waitFor(() -> client.job(jobId), Duration.ofMinutes(5), "Waiting", "Running");
        assertEquals("Finished", job.path("status").path("overview").asText(), job.toString());
        JsonNode usage = job.path("status").path("usage");

        assertEquals(12, usage.path("webhookPosts").asLong(), usage.toString());
        assertTrue(usage.path("bytesFetched").asLong() > 12 * 1000, "12 photos of more than 1 kB each: " + usage);
        assertTrue(usage.path("lambdaGbSeconds").asDouble() > 0, usage.toString());
        assertTrue(usage.path("dynamoDbWriteUnits").asDouble() > 0, usage.toString());
        assertTrue(usage.path("dynamoDbReadUnits").asDouble() > 0, usage.toString());
        assertEquals(usage.path("s3PutRequests").asLong() + usage.path("s3GetRequests").asLong(),
                usage.path("s3Requests").asLong());
        // every S3 request counted was one the invocations really made (the exact comparison of every class is
        // aSmallJobsUsage_isTheInterceptorsCount_perRequestClass_exactly)
        long sqsSeen = SEEN.sqs.get() - sqsBefore;
        long s3Seen = SEEN.s3.get() - s3Before;
        System.out.println("usage of a 12-item job: " + usage + "; the invocations' own requests seen: SQS " + sqsSeen
                + ", S3 " + s3Seen);
        assertTrue(usage.path("s3Requests").asLong() >= 1 && usage.path("s3Requests").asLong() <= s3Seen,
                usage + " vs " + s3Seen + " S3 requests seen");
        assertTrue(usage.path("s3PutRequests").asLong() >= 1, "the results part: " + usage);
        assertTrue(usage.path("sqsRequests").asLong() >= 6, "the fan-out's and inference's sends, and 2 per invocation: " + usage);

        // the estimate: the bundled table's us-east-1 prices times the quantities shown
        PriceTable table = PriceTable.bundled();
        JsonNode ref = usage.path("priceTable");
        assertEquals("us-east-1", ref.path("region").asText());
        assertEquals(table.date(), ref.path("date").asText());
        assertTrue(ref.path("sources").size() >= 5, ref.toString());
        Usage shown = new Usage(Math.round(usage.path("lambdaGbSeconds").asDouble() * 1024 * 1000), 0, 0,
                usage.path("sqsRequests").asLong(), Math.round(usage.path("dynamoDbReadUnits").asDouble() * 1000),
                Math.round(usage.path("dynamoDbWriteUnits").asDouble() * 1000), usage.path("s3PutRequests").asLong(),
                usage.path("s3GetRequests").asLong(), 0, 0);
        double expected = PriceTable.costUsd(shown, table.in("us-east-1").orElseThrow(),
                dev.sluice.core.usage.FargateSize.deployed());
        assertEquals(expected, usage.path("estimatedCostUsd").asDouble(), expected * 1e-3 + 1e-9, usage.toString());

        // the project's day holds the job as it ended; another project's day holds nothing of it
        String today = LocalDate.now(ZoneOffset.UTC).toString();
        JsonNode sum = client.usage(today, today);
        assertEquals("usage", sum.path("object").asText());
        assertTrue(sum.path("usage").path("webhookPosts").asLong() >= 12, sum.toString());
        assertTrue(sum.path("usage").path("sqsRequests").asLong() > 0, sum.toString());
        SluiceClient other = new SluiceClient(under.stack.apiUrl(), OTHER, OTHER_KEY);
        JsonNode theirs = other.usage(today, today).path("usage");
        assertEquals(0, theirs.path("sqsRequests").asLong(), theirs.toString());
        assertEquals(0, theirs.path("webhookPosts").asLong(), theirs.toString());
        assertEquals(0.0, theirs.path("estimatedCostUsd").asDouble(), theirs.toString());
        // and the other project's key cannot name this project's usage
        SluiceClient borrowed = new SluiceClient(under.stack.apiUrl(), under.stack.projectId, OTHER_KEY);
        assertEquals(404, assertThrows(SluiceClient.ApiException.class, () -> borrowed.usage(today, today)).status);
    }

    /**
     * The target of issue 23 item 5 on a small job, exactly: once the pipeline is idle, each request class of
     * {@code status.usage}, plus the remainder the meter holds for the job (what it counted after the job's last
     * write that carries usage: at most the last message's delete; no DynamoDB unit), is what an interceptor of the test's
     * own counted for the pipeline's requests of the job, not a unit more or less. The interceptor decides by where a
     * request comes from (a function's SQS invocation, an event source's request that carries messages), not from
     * the meter's accounts.
     */
    @Test
    void aSmallJobsUsage_isTheInterceptorsCount_perRequestClass_exactly() {
        SluiceClient client = under.client;
        List<String> lines = under.jobs.photoLines(6);
        String datasetId = under.jobs.readyDataset(lines); // its validation is no job's work: before the window
        under.stack.awaitIdle(Duration.ofMinutes(1)); // nor anything of an earlier test's job
        var before = PIPELINE.snapshot();
        LocalJobs.Run run = under.jobs.startJobOn(datasetId, lines, 3, "Lambda");
        String jobId = run.job().get("id").asText();
        JsonNode job = client.waitFor(() -> client.job(jobId), Duration.ofMinutes(5), "Waiting", "Running");
        assertEquals("Finished", job.path("status").path("overview").asText(), job.toString());
        under.stack.awaitIdle(Duration.ofMinutes(1)); // its end event delivered, its last messages deleted
        var seen = PIPELINE.of(jobId);
        assertEquals(PIPELINE.since(before), seen, "nothing but the job in the window: every request counted is the job's");
        Usage shown = PipelineRequests.shown(client.job(jobId).path("status").path("usage"));
        Usage remainder = PipelineRequests.requests(dev.sluice.core.usage.UsageMeter.process().pending(jobId));
        String report = assertExact(jobId, shown, remainder, seen);
        assertTrue(shown.sqsRequests() > 0 && shown.dynamoWriteMilliUnits() > 0 && shown.s3PutRequests() > 0, report);
        // the remainder is the end only: no S3 request, at most the last event's delete; and no DynamoDB unit: the
        // end's own writes (the finish, the completion's reads, the active marker's removal) are added by the job's
        // last update, with that update's known units (DynamoJobStore.completed), so status.usage alone is exact there
        assertEquals(0, remainder.s3PutRequests() + remainder.s3GetRequests(), report);
        assertTrue(remainder.sqsRequests() <= 1, report);
        assertEquals(0, remainder.dynamoWriteMilliUnits() + remainder.dynamoReadMilliUnits(), report);
    }

    /**
     * Two jobs of two projects that run at once, the second ending while the first is measured (the bench's warm-up
     * whose tail falls in its window, README "Usage and cost"): each job's {@code status.usage} plus its remainder is
     * exactly what the interceptor counted for the requests that served it, by the job each served, none of the
     * other's. Counting the window instead (every request between the first job's create and the idle pipeline)
     * would give each job the other's requests too.
     */
    @Test
    void twoJobsAtOnce_eachJobsUsage_isTheInterceptorsCountOfItsOwnRequests_exactly() {
        SluiceClient client = under.client;
        SluiceClient other = new SluiceClient(under.stack.apiUrl(), BESIDE, BESIDE_KEY);
        LocalJobs otherJobs = new LocalJobs(other, under.images, LocalJobs.uploadClassifier(other), secret -> { });
        List<String> lines = under.jobs.photoLines(8);
        List<String> otherLines = otherJobs.photoLines(4);
        String datasetId = under.jobs.readyDataset(lines);
        String otherDatasetId = otherJobs.readyDataset(otherLines);
        under.stack.awaitIdle(Duration.ofMinutes(1));
        var before = PIPELINE.snapshot();
        String first = under.jobs.startJobOn(datasetId, lines, 2, "Lambda").jobId();
        String second = otherJobs.startJobOn(otherDatasetId, otherLines, 2, "Lambda").jobId();
        for (String[] job : new String[][]{{first, "main"}, {second, "other"}}) {
            SluiceClient c = job[1].equals("main") ? client : other;
            assertEquals("Finished", c.waitFor(() -> c.job(job[0]), Duration.ofMinutes(5), "Waiting", "Running")
                    .path("status").path("overview").asText());
        }
        under.stack.awaitIdle(Duration.ofMinutes(1));
        var inWindow = PipelineRequests.total(PIPELINE.since(before));
        Usage firstSeen = PipelineRequests.total(PIPELINE.of(first));
        Usage secondSeen = PipelineRequests.total(PIPELINE.of(second));
        // both jobs' requests are in the window: the window alone cannot say which job a request served
        assertEquals(PipelineRequests.requests(inWindow), PipelineRequests.requests(firstSeen.plus(secondSeen)),
                "every request of the window served one of the two jobs: " + inWindow + " vs " + firstSeen + " + " + secondSeen);
        assertTrue(secondSeen.dynamoWriteMilliUnits() > 0 && secondSeen.s3PutRequests() > 0, secondSeen.toString());
        var meter = dev.sluice.core.usage.UsageMeter.process();
        assertExact(first, PipelineRequests.shown(client.job(first).path("status").path("usage")),
                PipelineRequests.requests(meter.pending(first)), PIPELINE.of(first));
        assertExact(second, PipelineRequests.shown(other.job(second).path("status").path("usage")),
                PipelineRequests.requests(meter.pending(second)), PIPELINE.of(second));
    }

    /**
     * Asserts that status.usage plus the meter's remainder is, per request class, exactly the interceptor's count of
     * the job's requests; returns the report the assertions print.
     */
    private static String assertExact(String jobId, Usage shown, Usage remainder, java.util.Map<String, Usage> seen) {
        String report = jobId + ": status.usage " + shown + " + remainder " + remainder + " vs the interceptor's " + seen;
        for (PipelineRequests.ClassCheck c : PipelineRequests.compare(shown.plus(remainder), PipelineRequests.total(seen))) {
            assertEquals(c.seen(), c.shown(), 0.0, c.name() + ": " + report);
        }
        return report;
    }

    @Test
    void usageRange_isCheckedWithCodes() {
        SluiceClient client = under.client;
        SluiceClient.ApiException backwards = assertThrows(SluiceClient.ApiException.class,
                () -> client.usage("2026-02-01", "2026-01-01"));
        assertEquals(400, backwards.status);
        assertTrue(backwards.getMessage().contains("usage.bad_range"), backwards.getMessage());
        SluiceClient.ApiException tooLong = assertThrows(SluiceClient.ApiException.class,
                () -> client.usage("2024-01-01", "2026-01-01"));
        assertTrue(tooLong.getMessage().contains("usage.bad_range"), tooLong.getMessage());
        SluiceClient.ApiException notADate = assertThrows(SluiceClient.ApiException.class,
                () -> client.usage("yesterday", null));
        assertTrue(notADate.getMessage().contains("usage.bad_date"), notADate.getMessage());
        JsonNode none = client.usage("2020-01-01", "2020-01-31");
        assertEquals("2020-01-01", none.path("from").asText());
        assertEquals(0, none.path("usage").path("s3Requests").asLong());
    }
}
