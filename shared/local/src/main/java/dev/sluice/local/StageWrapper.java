package dev.sluice.local;

import com.amazonaws.services.lambda.runtime.RequestHandler;
import com.amazonaws.services.lambda.runtime.events.SQSBatchResponse;
import com.amazonaws.services.lambda.runtime.events.SQSEvent;

/**
 * How a local stack hands each stage's handler (and the scheduler's sweep) to a test before wiring it: the identity
 * in normal runs, a fault injector in the fault tests (FaultInjector of sluice-testing, test scope only).
 */
public interface StageWrapper {
    StageWrapper NONE = new StageWrapper() {
    };

    /** The stages that a wrapper can see. */
    enum Stage { FANOUT, INFERENCE, DELIVERY, SCHEDULER }

    default RequestHandler<SQSEvent, SQSBatchResponse> wrap(Stage stage, RequestHandler<SQSEvent, SQSBatchResponse> handler) {
        return handler;
    }

    default Runnable wrapSweep(Runnable sweep) {
        return sweep;
    }
}
