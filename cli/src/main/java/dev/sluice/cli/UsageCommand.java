package dev.sluice.cli;

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
        return print(c.usage(from, to));
    }
}
