package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.time.Duration;

/** {@code sluice datasets create | get | list | delete}. */
@Command(name = "datasets", description = "NDJSON files of items (one image URL a line) that jobs read",
        subcommands = {DatasetCommands.Create.class, DatasetCommands.Get.class, DatasetCommands.List.class,
                DatasetCommands.Delete.class},
        footerHeading = "%nExamples:%n", footer = {
                "  sluice datasets create --name photos --file photos.ndjson",
                "  sluice datasets list --limit 20"})
final class DatasetCommands extends Group {

    @Command(name = "create", description = "create a dataset, upload the file (with a progress bar) and wait until it is counted",
            footerHeading = "%nExamples:%n", footer = {
                    "  sluice datasets create --name photos --file photos.ndjson",
                    "  # a line: {\"kind\":\"Image\",\"url\":\"https://example.com/cat.jpg\"}"})
    static final class Create extends ClientCommand {
        @Option(names = "--name", paramLabel = "NAME", description = "the dataset's name (required)")
        String name;
        @Option(names = "--file", paramLabel = "FILE", description = "the NDJSON file to upload (required)")
        Path file;
        @Option(names = "--metadata", paramLabel = "KEY=VALUE", description = "a metadata pair of the dataset (repeatable, at most 16)")
        java.util.Map<String, String> metadata = new java.util.LinkedHashMap<>();
        @Option(names = "--expiry-time", paramLabel = "TIME", converter = Converters.EpochMillis.class,
                description = "when the dataset expires (ISO-8601 or epoch ms; at most 365 days ahead; default 30 days):"
                        + " then it is no longer listed, no job starts on it and its file is deleted")
        Long expiryTime;

        @Override
        int run(SluiceClient c) {
            String n = need(name, "--name");
            Path f = needFile(file, "--file");
            return print(uploading(f, progress -> c.createDatasetFromFile(n, f, Duration.ofMinutes(30), progress, metadata,
                    expiryTime)));
        }
    }

    @Command(name = "get", description = "show a dataset", footerHeading = "%nExamples:%n",
            footer = "  sluice datasets get dataset_… --output json")
    static final class Get extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the dataset's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.dataset(id));
        }
    }

    @Command(name = "list", description = "the project's datasets, newest first, a page at a time",
            footerHeading = "%nExamples:%n", footer = {"  sluice datasets list --limit 20 --output json",
                    "  sluice datasets list --status Ready --metadata team=vision",
                    "  sluice datasets list --show-expired"})
    static final class List extends ClientCommand {
        @Mixin
        Paging paging;
        @Mixin
        Filters filters;
        @Option(names = "--name-prefix", paramLabel = "TEXT", description = "only datasets whose name starts with TEXT")
        String namePrefix;
        @Option(names = "--show-expired", description = "list the datasets whose expiry time passed too (hidden otherwise)")
        boolean showExpired;

        @Override
        int run(SluiceClient c) {
            return print(c.datasets(paging.limit, paging.page, filters.filter(namePrefix), showExpired));
        }
    }

    @Command(name = "delete", description = "delete a dataset and its file (refused while a job that has not ended reads it)",
            footerHeading = "%nExamples:%n", footer = "  sluice datasets delete dataset_…")
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the dataset's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.deleteDataset(id));
        }
    }
}
