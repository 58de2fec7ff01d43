package dev.sluice.core.inference;

import dev.sluice.core.model.Model;

import java.util.Map;

/** Runs a tabular model on rows of features: one [rows, features] float tensor in, every output by name. */
public interface TabularPredictor {
    /** Outputs in the model's order; each [rows, width] (a 1-D output comes back as width 1). */
    Map<String, float[][]> run(Model model, float[][] features);
}
