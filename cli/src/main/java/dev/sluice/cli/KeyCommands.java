package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code sluice keys create | list | revoke}. */
@Command(name = "keys", description = "the project's API keys",
        subcommands = {KeyCommands.Create.class, KeyCommands.List.class, KeyCommands.Revoke.class},
        footerHeading = "%nExamples:%n", footer = {"  sluice keys create --name ci", "  sluice keys revoke apikey_…"})
final class KeyCommands extends Group {

    @Command(name = "create", description = "create an API key; the key is shown once, here",
            footerHeading = "%nExamples:%n", footer = "  sluice keys create --name ci --output json")
    static final class Create extends ClientCommand {
        @Option(names = "--name", paramLabel = "NAME", description = "a name to recognise the key by")
        String name;

        @Override
        int run(SluiceClient c) {
            return print(c.createApiKey(name));
        }
    }

    @Command(name = "list", description = "the project's keys, by their first characters only",
            footerHeading = "%nExamples:%n", footer = "  sluice keys list")
    static final class List extends ClientCommand {
        @Mixin
        Paging paging;

        @Override
        int run(SluiceClient c) {
            return print(c.apiKeys(paging.limit, paging.page));
        }
    }

    @Command(name = "revoke", description = "revoke a key at once (a key cannot revoke itself)",
            footerHeading = "%nExamples:%n", footer = "  sluice keys revoke apikey_…")
    static final class Revoke extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the key's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.revokeApiKey(id));
        }
    }
}
