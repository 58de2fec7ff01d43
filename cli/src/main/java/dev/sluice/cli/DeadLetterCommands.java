package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Parameters;

/** {@code sluice dlq list | get | redrive}. */
@Command(name = "dlq", description = "messages that failed on every attempt, and what was accounted for them",
        subcommands = {DeadLetterCommands.List.class, DeadLetterCommands.Get.class, DeadLetterCommands.Redrive.class},
        footerHeading = "%nExamples:%n", footer = {"  sluice dlq list", "  sluice dlq redrive dlq_…"})
final class DeadLetterCommands extends Group {

    @Command(name = "list", description = "dead letters, newest first", footerHeading = "%nExamples:%n",
            footer = "  sluice dlq list --limit 50")
    static final class List extends ClientCommand {
        @Mixin
        Paging paging;

        @Override
        int run(SluiceClient c) {
            return print(c.deadLetters(paging.limit, paging.page));
        }
    }

    @Command(name = "get", description = "show a dead letter (its job, queue and lines)", footerHeading = "%nExamples:%n",
            footer = "  sluice dlq get dlq_…")
    static final class Get extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the dead letter's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.deadLetter(id));
        }
    }

    @Command(name = "redrive", description = "run exactly the dead letter's lines again, in a new job (once)",
            footerHeading = "%nExamples:%n", footer = "  sluice dlq redrive dlq_… --output json")
    static final class Redrive extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the dead letter's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.redrive(id));
        }
    }
}
