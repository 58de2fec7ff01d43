package dev.sluice.core.inference;

import dev.sluice.core.model.Model;

import java.util.List;

/** Preprocess and predict one batch of gathered items with one model: one batched tensor per call. */
public interface Predictor {
    record Input(long index, byte[] bytes) {
    }

    /**
     * Either a prediction, or the stage that failed ({@link #PROCESS} or {@link #PREDICT}) with a reason.
     * Outputs come in the order of the inputs.
     */
    record Output(long index, Object prediction, String failedStage, String reason, double preprocessMs,
                  double predictMs) {
    }

    String PROCESS = "Process";
    String PREDICT = "Predict";

    List<Output> predict(Model model, List<Input> inputs);

    /** A batch whose decoding and preprocessing may already be running; {@link #predict()} waits for it and runs the model. */
    interface Prepared {
        List<Output> predict();
    }

    /**
     * Starts decoding and preprocessing {@code inputs} and returns at once, so a caller can have the next batch's
     * images decoded while the model runs the current one. The default starts nothing ahead of time.
     */
    default Prepared prepare(Model model, List<Input> inputs) {
        return () -> predict(model, inputs);
    }

    /** Nanoseconds the model has spent running (the inference session's calls), since this predictor was made. */
    default long modelBusyNanos() {
        return 0;
    }
}
