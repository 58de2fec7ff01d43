package dev.sluice.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.sluice.client.SluiceClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sluice usage [--from DAY] [--to DAY]}: the project's usage and estimated cost over UTC days (GET /usage). */
@Command(name = "usage", description = "the project's usage and estimated cost, summed over UTC days",
        footerHeading = "%nExamples:%n", footer = {"  sluice usage", "  sluice usage --from 2026-11-01 --to 2026-11-30 -o json"})
final class UsageCommand extends ClientCommand {
    @Option(names = "--from", paramLabel = "YYYY-MM-DD", description = "first UTC day (default: 29 days before --to)")
    String from;
    @Option(names = "--to", paramLabel = "YYYY-MM-DD", description = "last UTC day (default: today)")
    String to;

    @Override
    int run(SluiceClient c) {
        JsonNode answer = c.usage(from, to);
        return print(printer().isTable() ? oneLinePerFigure(answer) : answer);
    }

    /**
     * A table shows one line per figure: the {@code usage} object as one JSON value would be cut at 160 characters,
     * before {@code estimatedCostUsd} (a new user saw {@code "s3Requests":...} and no cost). json/yaml: the API's answer.
     */
    static JsonNode oneLinePerFigure(JsonNode answer) {
        ObjectNode table = answer.deepCopy();
        JsonNode usage = table.remove("usage");
        if (usage != null && usage.isObject()) {
            usage.fields().forEachRemaining(f -> {
                JsonNode prices = f.getValue();
                table.set(f.getKey(), f.getKey().equals("priceTable") && prices.isObject()
                        ? com.fasterxml.jackson.databind.node.TextNode.valueOf(
                                prices.path("region").asText() + " " + prices.path("date").asText())
                        : prices);
            });
        }
        return table;
    }
}
