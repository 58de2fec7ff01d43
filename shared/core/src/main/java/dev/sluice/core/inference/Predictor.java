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
}
