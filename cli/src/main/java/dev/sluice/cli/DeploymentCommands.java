package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import dev.sluice.core.deployment.DeploymentTarget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice deployments create | get | list | delete}. */
@Command(name = "deployments", description = "a model with where and how it runs (target, batch size, concurrency)",
        subcommands = {DeploymentCommands.Create.class, DeploymentCommands.Get.class, DeploymentCommands.List.class,
                DeploymentCommands.Delete.class},
        footerHeading = "%nExamples:%n", footer = {
                "  sluice deployments create --name cpu --model model_… --target Lambda --batch-size 32",
                "  sluice deployments list"})
final class DeploymentCommands extends Group {

    @Command(name = "create", description = "create a deployment of a model", footerHeading = "%nExamples:%n",
            footer = {"  sluice deployments create --name cpu --model model_… --target Lambda --batch-size 32",
                    "  sluice deployments create --name gpu --model model_… --target GpuPool --max-concurrency 4"})
    static final class Create extends ClientCommand {
        @Option(names = "--name", paramLabel = "NAME", description = "the deployment's name (required)")
        String name;
        @Option(names = "--model", paramLabel = "ID", description = "the model's id (required)")
        String model;
        @Option(names = "--target", paramLabel = "TARGET", defaultValue = "Lambda",
                completionCandidates = Converters.Targets.class,
                description = "${COMPLETION-CANDIDATES} (default Lambda)")
        DeploymentTarget target;
        @Option(names = "--batch-size", paramLabel = "N", description = "items per inference batch")
        Integer batchSize;
        @Option(names = "--max-concurrency", paramLabel = "N", description = "batches run at once at most")
        Integer maxConcurrency;

        @Override
        int run(SluiceClient c) {
            return print(c.createDeployment(need(name, "--name"), need(model, "--model"), target.wire(), batchSize,
                    maxConcurrency));
        }
    }

    @Command(name = "get", description = "show a deployment", footerHeading = "%nExamples:%n",
            footer = "  sluice deployments get deploy_…")
    static final class Get extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the deployment's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.deployment(id));
        }
    }

    @Command(name = "list", description = "the project's deployments, newest first", footerHeading = "%nExamples:%n",
            footer = "  sluice deployments list --output json")
    static final class List extends ClientCommand {
        @Mixin
        Paging paging;

        @Override
        int run(SluiceClient c) {
            return print(c.deployments(paging.limit, paging.page));
        }
    }

    @Command(name = "delete", description = "delete a deployment", footerHeading = "%nExamples:%n",
            footer = "  sluice deployments delete deploy_…")
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the deployment's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.deleteDeployment(id));
        }
    }
}
