package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code sluice secrets create | list | rotate | delete}: the project's stored secrets (access keys executions name).
 * A value is never a flag (it would stay in the shell's history): it is read from --value-file, else typed without
 * echo, else the first line of stdin.
 */
@Command(name = "secrets", description = "the project's stored secrets (values are write-only)",
        subcommands = {SecretCommands.Create.class, SecretCommands.List.class, SecretCommands.Rotate.class,
                SecretCommands.Delete.class},
        footerHeading = "%nExamples:%n", footer = {"  sluice secrets create --name data-key-id --value-file key-id.txt",
                "  sluice secrets rotate data-key-id --value-file new.txt"})
final class SecretCommands extends Group {

    static String value(Path file) {
        try {
            if (file != null) {
                return Files.readString(file).stripTrailing();
            }
            java.io.Console console = System.console();
            if (console != null) {
                char[] typed = console.readPassword("value: ");
                return typed == null ? "" : new String(typed);
            }
            String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
            return line == null ? "" : line.stripTrailing();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Command(name = "create", description = "store a secret; its value is never shown again")
    static final class Create extends ClientCommand {
        @Option(names = "--name", required = true, paramLabel = "NAME", description = "1-128 letters, digits, _ and -")
        String name;
        @Option(names = "--value-file", paramLabel = "FILE", description = "the file holding the value")
        Path valueFile;

        @Override
        int run(SluiceClient c) {
            return print(c.createSecret(name, value(valueFile)));
        }
    }

    @Command(name = "list", description = "the project's secrets: names and times, never values")
    static final class List extends ClientCommand {
        @Override
        int run(SluiceClient c) {
            return print(c.secrets());
        }
    }

    @Command(name = "rotate", description = "give a secret a new value")
    static final class Rotate extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the secret's name")
        String name;
        @Option(names = "--value-file", paramLabel = "FILE", description = "the file holding the new value")
        Path valueFile;

        @Override
        int run(SluiceClient c) {
            return print(c.rotateSecret(name, value(valueFile)));
        }
    }

    @Command(name = "delete", description = "delete a secret at once")
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "NAME", description = "the secret's name")
        String name;

        @Override
        int run(SluiceClient c) {
            return print(c.deleteSecret(name));
        }
    }
}
