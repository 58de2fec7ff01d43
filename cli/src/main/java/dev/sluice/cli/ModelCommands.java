package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import dev.sluice.core.model.Model;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/** {@code sluice models create | get | list | delete}. */
@Command(name = "models", description = "ONNX models (image classifiers, detectors, tabular models)",
        subcommands = {ModelCommands.Create.class, ModelCommands.Get.class, ModelCommands.List.class,
                ModelCommands.Delete.class},
        footerHeading = "%nExamples:%n", footer = {
                "  sluice models create --name mobilenet --file model.onnx --labels synset.txt",
                "  sluice models list"})
final class ModelCommands extends Group {

    @Command(name = "create", description = "create a model, upload the ONNX file (with a progress bar) and wait until it is Ready",
            footerHeading = "%nExamples:%n", footer = {
                    "  sluice models create --name mobilenet --file samples/models/mobilenetv2-12-int8.onnx \\",
                    "      --labels samples/models/synset.txt",
                    "  sluice models create --name churn --task Tabular --file churn.onnx"})
    static final class Create extends ClientCommand {
        @Option(names = "--name", paramLabel = "NAME", description = "the model's name (required)")
        String name;
        @Option(names = "--file", paramLabel = "FILE", description = "the .onnx file (required)")
        Path file;
        @Option(names = "--labels", paramLabel = "FILE",
                description = "class names, one a line (synset lines too); required for image models")
        Path labels;
        @Option(names = "--task", paramLabel = "TASK", defaultValue = "ImageClassification",
                description = "${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE})")
        Model.Task task;

        @Override
        int run(SluiceClient c) throws Exception {
            String n = need(name, "--name");
            Path onnx = needFile(file, "--file");
            java.util.List<String> names = task == Model.Task.Tabular && labels == null ? null
                    : dev.sluice.core.model.Labels.parse(Files.readAllLines(needFile(labels, "--labels")));
            return print(uploading(onnx, progress -> c.uploadModel(n, task.name(), onnx, names, Duration.ofMinutes(10),
                    progress)));
        }
    }

    @Command(name = "get", description = "show a model", footerHeading = "%nExamples:%n",
            footer = "  sluice models get model_… --output yaml")
    static final class Get extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the model's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.model(id));
        }
    }

    @Command(name = "list", description = "the project's models, newest first", footerHeading = "%nExamples:%n",
            footer = "  sluice models list --limit 20")
    static final class List extends ClientCommand {
        @Mixin
        Paging paging;

        @Override
        int run(SluiceClient c) {
            return print(c.models(paging.limit, paging.page));
        }
    }

    @Command(name = "delete", description = "delete a model", footerHeading = "%nExamples:%n",
            footer = "  sluice models delete model_…")
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the model's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.deleteModel(id));
        }
    }
}
