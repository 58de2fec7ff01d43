package dev.sluice.bench;

import java.util.ArrayList;
import java.util.List;

/** The result table: one row per figure, with its target and a verdict. */
final class Table {
    record Row(String section, String figure, String value, String target, String verdict) {
    }

    private final List<Row> rows = new ArrayList<>();

    void add(String section, String figure, String value, String target, Boolean met) {
        rows.add(new Row(section, figure, value, target == null ? "" : target,
                met == null ? "" : met ? "met" : "MISSED"));
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("| section | figure | value | target | |\n| --- | --- | --- | --- | --- |\n");
        for (Row r : rows) {
            sb.append("| ").append(r.section()).append(" | ").append(r.figure()).append(" | ").append(r.value())
                    .append(" | ").append(r.target()).append(" | ").append(r.verdict()).append(" |\n");
        }
        return sb.toString();
    }
}
