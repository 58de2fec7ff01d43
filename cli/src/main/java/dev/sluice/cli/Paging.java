package dev.sluice.cli;

import picocli.CommandLine.Option;

/** {@code --limit N --page P} of every list command (the API's page size and its nextPage cursor). */
final class Paging {
    @Option(names = "--limit", paramLabel = "N", description = "entries per page, 1..1000 (the API's default otherwise)")
    Integer limit;
    @Option(names = "--page", paramLabel = "P", description = "the nextPage cursor a previous list printed")
    String page;
}
