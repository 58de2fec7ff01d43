package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import picocli.CommandLine.Option;

import java.util.LinkedHashMap;
import java.util.Map;

/** The filters of the job, dataset and execution listings (the API's status, metadata.KEY, createdAfter/Before). */
final class Filters {
    @Option(names = "--status", paramLabel = "STATE", description = "only records in this state (status.overview)")
    String status;
    @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "only records whose metadata holds this pair (repeatable)")
    Map<String, String> metadata = new LinkedHashMap<>();
    @Option(names = "--created-after", paramLabel = "TIME", converter = Converters.EpochMillis.class,
            description = "only records created after TIME (epoch ms or ISO-8601)")
    Long createdAfter;
    @Option(names = "--created-before", paramLabel = "TIME", converter = Converters.EpochMillis.class,
            description = "only records created before TIME (epoch ms or ISO-8601)")
    Long createdBefore;

    SluiceClient.ListFilter filter(String namePrefix) {
        return new SluiceClient.ListFilter(status, namePrefix, metadata, createdAfter, createdBefore);
    }
}
