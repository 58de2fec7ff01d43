package dev.sluice.aws.observe;

/** How log lines are written: one JSON object per line (Lambda, the GPU worker, {@code --log-format json}), or one readable line (a terminal). */
public enum LogFormat {
    JSON, TEXT
}
