package dev.sluice.core.inference;

import dev.sluice.core.model.Model;

import java.util.Map;

/** Runs a tabular model on rows of features: one [rows, features] float tensor in, every output by name. */
public interface TabularPredictor {
    /** Outputs in the model's order; each [rows, width] (a 1-D output comes back as width 1). */
    Map<String, float[][]> run(Model model, float[][] features);

    /**
     * The number of features the model takes, when its ONNX input declares it ([N, width] with a fixed width), or
     * -1 when the width is symbolic or not known: an execution whose feature columns are not as many fails at its
     * first file instead of row by row ({@code execution.feature_width}).
     */
    default int inputWidth(Model model) {
        return -1;
    }
}
