package dev.sluice.cli;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.util.concurrent.Callable;

/** A resource's group of subcommands ({@code sluice jobs …}); alone, it runs its {@code list} (as it always has). */
abstract class Group implements Callable<Integer> {
    @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
    boolean help;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        var list = spec.subcommands().get("list");
        if (list == null) {
            spec.commandLine().usage(spec.commandLine().getErr());
            return Main.USAGE;
        }
        return list.execute();
    }
}
