package dev.sluice.core.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class FailureClassTest {
    /** Every failure code the pipeline writes into an item's log entry, with its class. */
    @Test
    void everyItemFailureCode_hasItsClass() {
        for (String code : List.of("gather.timeout", "gather.unreachable", "gather.interrupted", "gather.failed",
                "gather.http_500", "gather.http_503", "gather.http_429", "gather.http_408", "deliver.http_500",
                "deliver.http_404", "deliver.retries_exhausted", "deliver.webhook_deleted", "deliver.endpoint_refused",
                "deliver.redirect_refused", "deliver.request_refused", "delivery.dead_lettered", "predict.failed",
                "inference.dead_lettered", "fanout.dead_lettered", "job.terminal", "job.cancelled", "job.timed_out",
                "job.stalled", "job.error_budget_exceeded")) {
            assertEquals(FailureClass.Retryable, FailureClass.of(code + ": why"), code);
        }
        for (String code : List.of("item.malformed_json", "item.bad_url", "item.unknown_kind", "item.bad_id",
                "item.line_too_long", "url.private_address", "url.address_refused", "url.unresolvable",
                "url.scheme_refused", "process.corrupt_image", "process.not_an_image", "process.out_of_memory",
                "process.too_many_pixels", "process.unsupported_format", "process.decode_failed", "process.failed",
                "gather.not_found", "gather.too_large", "gather.not_a_file", "gather.http_404", "gather.http_403",
                "gather.bucket_refused", "gather.address_refused", "gather.refused", "gather.corrupt_encoding",
                "gather.unsupported_encoding", "predict.non_finite", "predict.labels_mismatch",
                "predict.not_an_image_model", "queue.message_too_large", "dataset.changed", "no.such_code")) {
            assertEquals(FailureClass.Permanent, FailureClass.of(code + ": why"), code);
        }
        assertEquals(FailureClass.Permanent, FailureClass.of(null));
        assertEquals(FailureClass.Retryable, FailureClass.of("gather.timeout"));
    }

    @Test
    void failedLogEntry_carriesItsClassInJson_infoEntryNone() {
        JsonNode failed = Json.MAPPER.valueToTree(LogEntry.failure("ItemFailedGather", 1, "https://x/a.jpg", 3,
                "FailedGather", "gather.http_503: the host answered 503"));
        assertEquals("Retryable", failed.get("failureClass").asText());
        JsonNode info = Json.MAPPER.valueToTree(LogEntry.info("ItemPredicted", 1, "https://x/a.jpg", 3, "Predicted", 2.0));
        assertNull(info.get("failureClass"));
        // stored entries are read back (the derived field is not a component) without losing anything
        LogEntry back = Json.read(failed.toString(), LogEntry.class);
        assertEquals(FailureClass.Retryable, back.failureClass());
    }
}
