package dev.sluice.cli;

import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;

/**
 * {@code sluice}: the top command. To add a subcommand group, write a class like {@link JobCommands} (a {@link Group}
 * whose nested classes extend {@link ClientCommand}) and list it in {@code subcommands} below; see CONTRIBUTING.md.
 */
@Command(name = "sluice", mixinStandardHelpOptions = true, versionProvider = SluiceCommand.Version.class,
        usageHelpAutoWidth = true,
        description = "Serverless batch inference: datasets or folders of files through ONNX models, every prediction delivered once.",
        subcommands = {SluiceCommand.LocalCommand.class, SluiceCommand.DemoCommand.class, DatasetCommands.class, ModelCommands.class,
                DeploymentCommands.class, WebhookCommands.class, JobCommands.class, ExecutionCommands.class,
                DeadLetterCommands.class, KeyCommands.class, SecretCommands.class, UsageCommand.class, AdminCommands.class, SluiceCommand.Completion.class},
        footerHeading = "%n", footer = {
                "The ./sluice script also runs `./sluice test` (the test suite) and `./sluice bench` (the benchmarks).",
                "",
                "Client commands talk to any Sluice API: --api/--project/--key, else SLUICE_API_URL, SLUICE_PROJECT,",
                "SLUICE_API_KEY, else api=/project=/key= in ~/.sluice/config. `sluice <command> --help` shows a command's",
                "options and examples.",
                "",
                "Exit codes: 0 ok, 1 the API answered an error, 2 usage error, 3 the API cannot be reached,",
                "4 `jobs wait`/`executions wait`: it ended, but not Finished with everything delivered.",
                "",
                "Examples:",
                "  ./sluice demo",
                "  SLUICE_ALLOW_LOCAL_URLS=true ./sluice local --port 8080",
                "  sluice jobs create --name run-1 --dataset dataset_… --deployment deploy_…",
                "  source <(sluice completion bash)"})
final class SluiceCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    /** {@code sluice} alone: the usage, on stderr, exit 2. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return Main.USAGE;
    }

    @Command(name = "local", usageHelpAutoWidth = true,
            description = {"run the whole stack on embedded emulators (DynamoDB Local, ElasticMQ, S3Mock), API on 127.0.0.1",
                    "environment: SLUICE_API_KEY (the key it registers; random otherwise), SLUICE_ALLOW_LOCAL_URLS=true",
                    "(loopback/private URLs and file:// through), SLUICE_ITEM_BUCKETS, SLUICE_EXECUTION_BUCKETS"},
            footerHeading = "%nExamples:%n", footer = {
                    "  SLUICE_ALLOW_LOCAL_URLS=true SLUICE_API_KEY=sk_choose_a_long_key ./sluice local --port 8080",
                    "  ./sluice local --port 8080 --data-dir ~/.sluice/local     # state kept, resumed by the next start",
                    "  ./sluice local --strict                                    # the rules of AWS, whatever the environment",
                    "  ./sluice local --log-format json --metrics-file metrics.ndjson  # the functions' JSON lines and EMF metrics",
                    "  ./sluice local --inference-batch-messages 1                # each batch message committed on its own"})
    static final class LocalCommand implements Callable<Integer> {
        @Option(names = "--port", paramLabel = "N", defaultValue = "8080", description = "the API's port (default ${DEFAULT-VALUE}; 0: any free one)")
        int port;
        @Option(names = "--strict", description = "the rules of AWS: no loopback/private URLs, no file:// items or folders")
        boolean strict;
        @Option(names = "--data-dir", paramLabel = "DIR", description = "keep state in DIR and resume from it (default: in memory)")
        Path dataDir;
        @Option(names = "--log-format", paramLabel = "FORMAT", defaultValue = "text",
                description = "text: one readable line per record; json: one JSON object per line, the keys of the functions' logs (default ${DEFAULT-VALUE})")
        String logFormat;
        @Option(names = "--metrics-file", paramLabel = "FILE",
                description = "append the stack's metrics to FILE as CloudWatch Embedded Metric Format lines (default: not kept)")
        Path metricsFile;
        @Option(names = "--inference-batch-messages", paramLabel = "N", defaultValue = "10",
                description = "SQS messages per inference invocation, 1 to 10, committed together (Lambda's BatchSize; default ${DEFAULT-VALUE})")
        int inferenceBatchMessages;
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() throws InterruptedException {
            LocalStack.Access access;
            try {
                access = LocalStack.Access.fromEnvironment(System.getenv(), strict);
            } catch (IllegalArgumentException e) {
                throw new ClientCommand.Usage(e.getMessage());
            }
            dev.sluice.aws.observe.LogFormat format = switch (logFormat) {
                case "text" -> dev.sluice.aws.observe.LogFormat.TEXT;
                case "json" -> dev.sluice.aws.observe.LogFormat.JSON;
                default -> throw new ClientCommand.Usage("--log-format: '" + logFormat + "' is not text or json");
            };
            NoiseFilter.install();
            dev.sluice.aws.observe.Logs.install("local", format);
            if (metricsFile != null) {
                System.setProperty(LocalStack.METRICS_FILE_PROPERTY, metricsFile.toString());
            }
            Main.local(port, access, dataDir == null ? null : dataDir.toString(), inferenceBatchMessages);
            return Main.OK;
        }
    }

    @Command(name = "demo", usageHelpAutoWidth = true,
            description = "run the bundled classifier on the bundled photos through a local stack, then stop it",
            footerHeading = "%nExamples:%n", footer = "  ./sluice demo")
    static final class DemoCommand implements Callable<Integer> {
        @Option(names = "--port", paramLabel = "N", defaultValue = "0", description = "the API's port (default: any free one)")
        int port;
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;

        @Override
        public Integer call() {
            // the demo serves its photos and its webhook receiver on loopback: it turns local URLs on, explicitly
            LocalStack.Access demo = new LocalStack.Access(true, List.of(), List.of());
            NoiseFilter.install();
            try (LocalStack stack = LocalStack.start(LocalStack.Options.defaults(port, System.getenv("SLUICE_API_KEY"), demo))) {
                return dev.sluice.cli.Demo.run(stack, System.out);
            }
        }
    }

    @Command(name = "completion", usageHelpAutoWidth = true,
            description = "print a completion script for bash or zsh (commands, options, enum values)",
            footerHeading = "%nExamples:%n", footer = {
                    "  source <(./sluice completion bash)            # this shell; add it to ~/.bashrc to keep it",
                    "  ./sluice completion zsh > ~/.zfunc/sluice.sh && echo 'source ~/.zfunc/sluice.sh' >> ~/.zshrc"})
    static final class Completion implements Callable<Integer> {
        enum Shell { bash, zsh }

        @Parameters(paramLabel = "SHELL", description = "${COMPLETION-CANDIDATES}")
        Shell shell;
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;
        @Spec
        CommandSpec spec;

        /** picocli's script is for bash; it loads zsh's bashcompinit itself when sourced in zsh. */
        @Override
        public Integer call() {
            spec.commandLine().getOut().print(AutoComplete.bash("sluice", spec.root().commandLine()));
            spec.commandLine().getOut().flush();
            return Main.OK;
        }
    }

    /** {@code --version}: the build's version (filtered in by Maven) and the Java that runs it. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = SluiceCommand.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[]{"sluice " + p.getProperty("version", "unknown"),
                    "Java " + System.getProperty("java.version") + " (" + System.getProperty("java.vendor") + ")"};
        }
    }
}
