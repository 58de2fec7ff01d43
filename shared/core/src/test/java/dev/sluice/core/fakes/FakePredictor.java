package dev.sluice.core.fakes;

import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * A {@link Predictor} without a model: every input predicts {@code {"label": "fake", "bytes": n}}, except the line
 * indexes a test makes fail preprocessing or prediction. Outputs come in the order of the inputs, as the contract
 * says. Each call's input indexes are recorded (how many tensors, and which items each held).
 */
public final class FakePredictor implements Predictor {
    private final Map<Long, Output> failures = new HashMap<>();
    private final List<List<Long>> calls = new ArrayList<>();

    public synchronized FakePredictor failProcess(long index, String reason) {
        failures.put(index, new Output(index, null, PROCESS, reason, 1, 0));
        return this;
    }

    public synchronized FakePredictor failPredict(long index, String reason) {
        failures.put(index, new Output(index, null, PREDICT, reason, 1, 0));
        return this;
    }

    @Override
    public synchronized List<Output> predict(Model model, List<Input> inputs) {
        calls.add(inputs.stream().map(Input::index).toList());
        return inputs.stream().map(in -> failures.getOrDefault(in.index(),
                new Output(in.index(), Map.of("label", "fake", "bytes", in.bytes().length), null, null, 1, 2))).toList();
    }

    /** The line indexes of each call's inputs, in call order. */
    public synchronized List<List<Long>> calls() {
        return List.copyOf(calls);
    }
}
