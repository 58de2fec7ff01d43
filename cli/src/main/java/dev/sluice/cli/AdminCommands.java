package dev.sluice.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.sluice.aws.DynamoApiKeyStore;
import dev.sluice.aws.DynamoCatalog;
import dev.sluice.core.Clock;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.auth.ApiKeys;
import dev.sluice.core.auth.Projects;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.auth.credentials.ProfileCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;

import java.net.URI;
import java.util.concurrent.Callable;

/**
 * {@code sluice admin projects create | list}, {@code sluice admin keys create}: the operator's path to projects and
 * their keys (issue 28). It talks to the deployment's DynamoDB tables directly with the deployer's AWS credentials
 * (a profile, or the default chain), never through the API: no API key can create a project or another project's key.
 * The tables are the stack outputs CatalogTable and KeysTable (`./sluice deploy` passes them).
 */
@Command(name = "admin", description = "the operator's projects and keys, with the deployer's AWS credentials (not an API key)",
        subcommands = {AdminCommands.ProjectCommands.class, AdminCommands.KeyCommands.class, AdminCommands.DeleteData.class},
        footerHeading = "%nExamples:%n", footer = {
                "  sluice admin projects create --name team-a --catalog-table <CatalogTable> --keys-table <KeysTable>",
                "  sluice admin keys create --project proj_… --name ci --profile prod --region eu-west-1"})
final class AdminCommands extends Group {

    /** Where the tables are and whose credentials reach them: the options every admin command takes. */
    abstract static class AdminCommand implements Callable<Integer> {
        @Option(names = "--catalog-table", paramLabel = "NAME", order = 100,
                description = "the stack output CatalogTable (else SLUICE_CATALOG_TABLE)")
        String catalogTable;
        @Option(names = "--keys-table", paramLabel = "NAME", order = 101,
                description = "the stack output KeysTable (else SLUICE_KEYS_TABLE)")
        String keysTable;
        @Option(names = "--profile", paramLabel = "P", order = 102,
                description = "the AWS profile (else AWS_PROFILE, else the default credentials chain)")
        String profile;
        @Option(names = "--region", paramLabel = "R", order = 103,
                description = "the AWS region (else AWS_REGION, else the profile's region)")
        String region;
        @Option(names = "--endpoint", paramLabel = "URL", order = 104, hidden = true,
                description = "a DynamoDB endpoint (DynamoDB Local in the tests; else SLUICE_AWS_ENDPOINT)")
        URI endpoint;
        @Option(names = {"-o", "--output"}, paramLabel = "FORMAT", order = 105, defaultValue = "table",
                description = "table (default), json or yaml: one document")
        Printer.Format output;
        @Option(names = {"-h", "--help"}, usageHelp = true, order = 106, description = "show this help and exit")
        boolean help;
        @Spec
        CommandSpec spec;

        abstract Object run(Projects projects);

        @Override
        public final Integer call() {
            String catalog = setting(catalogTable, "SLUICE_CATALOG_TABLE", "--catalog-table");
            String keys = setting(keysTable, "SLUICE_KEYS_TABLE", "--keys-table");
            try (DynamoDbClient dynamo = dynamo()) {
                Projects projects = new Projects(new DynamoCatalog(dynamo, catalog),
                        new ApiKeys(new DynamoApiKeyStore(dynamo, keys), new DynamoCatalog(dynamo, catalog),
                                Clock.SYSTEM), Clock.SYSTEM);
                Object result;
                try {
                    result = run(projects);
                } catch (SluiceException e) {
                    spec.commandLine().getErr().println(e.code() + ": " + e.getMessage());
                    return Main.API_ERROR;
                }
                new Printer(output, spec.commandLine().getOut()).print(new ObjectMapper().valueToTree(result));
                return Main.OK;
            }
        }

        private DynamoDbClient dynamo() {
            var b = DynamoDbClient.builder().httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(profile != null ? ProfileCredentialsProvider.create(profile)
                            : DefaultCredentialsProvider.builder().build());
            if (region != null) {
                b.region(Region.of(region));
            }
            URI url = endpoint != null ? endpoint
                    : System.getenv("SLUICE_AWS_ENDPOINT") == null ? null : URI.create(System.getenv("SLUICE_AWS_ENDPOINT"));
            if (url != null) {
                b.endpointOverride(url);
            }
            return b.build();
        }

        private static String setting(String flag, String variable, String option) {
            String value = flag != null ? flag : System.getenv(variable);
            if (value == null || value.isBlank()) {
                throw new ClientCommand.Usage(option + " (or " + variable + ") is required: the stack output "
                        + (option.contains("keys") ? "KeysTable" : "CatalogTable"));
            }
            return value;
        }
    }

    @Command(name = "projects", description = "the deployment's projects",
            subcommands = {ProjectCommands.Create.class, ProjectCommands.List.class},
            footerHeading = "%nExamples:%n", footer = "  sluice admin projects list --catalog-table <CatalogTable> --keys-table <KeysTable>")
    static final class ProjectCommands extends Group {
        @Command(name = "create", description = "create a project (then `sluice admin keys create` for its first key)",
                footerHeading = "%nExamples:%n", footer = "  sluice admin projects create --name team-a --output json")
        static final class Create extends AdminCommand {
            @Option(names = "--name", paramLabel = "NAME", required = true, description = "a name to recognise it by")
            String name;

            @Override
            Object run(Projects projects) {
                return projects.create(name);
            }
        }

        @Command(name = "list", description = "the projects, in creation order",
                footerHeading = "%nExamples:%n", footer = "  sluice admin projects list --limit 50")
        static final class List extends AdminCommand {
            @Mixin
            Paging paging;

            @Override
            Object run(Projects projects) {
                return projects.list(PageRequest.of(paging.limit == null ? null : paging.limit.toString(), paging.page));
            }
        }
    }

    @Command(name = "keys", description = "projects' API keys",
            subcommands = {KeyCommands.Create.class},
            footerHeading = "%nExamples:%n", footer = "  sluice admin keys create --project proj_… --name ci")
    static final class KeyCommands extends Group {
        @Command(name = "create", description = "create an API key of a project; the key is shown once, here",
                footerHeading = "%nExamples:%n", footer = "  sluice admin keys create --project proj_… --name ci --output json")
        static final class Create extends AdminCommand {
            @Option(names = "--project", paramLabel = "ID", required = true, description = "the project (proj_…)")
            String project;
            @Option(names = "--name", paramLabel = "NAME", description = "a name to recognise the key by")
            String name;

            @Override
            Object run(Projects projects) {
                return projects.createKey(project, name);
            }
        }
    }

    /**
     * {@code sluice admin delete-data}: what `./sluice destroy --delete-data` runs once the stack is gone, since the
     * stack keeps its tables and data bucket (RETAIN). Deletes the named tables and empties and deletes the bucket
     * (objects and unfinished multipart uploads). Refuses to run without {@code --yes}.
     */
    @Command(name = "delete-data", description = "delete a destroyed deployment's tables and data bucket (cannot be undone)",
            footerHeading = "%nExamples:%n", footer = "  sluice admin delete-data --bucket <DataBucketName> --table <JobsTable> --table <CatalogTable> --yes")
    static final class DeleteData implements Callable<Integer> {
        @Option(names = "--bucket", paramLabel = "NAME", description = "the stack output DataBucketName")
        String bucket;
        @Option(names = "--table", paramLabel = "NAME", description = "a table to delete (repeat it)")
        java.util.List<String> tables = new java.util.ArrayList<>();
        @Option(names = "--yes", description = "yes, delete them: every project's jobs, datasets, models and results")
        boolean yes;
        @Option(names = "--profile", paramLabel = "P", description = "the AWS profile (else the default credentials chain)")
        String profile;
        @Option(names = "--region", paramLabel = "R", description = "the AWS region (else AWS_REGION, else the profile's)")
        String region;
        @Option(names = "--endpoint", paramLabel = "URL", hidden = true, description = "one endpoint for DynamoDB and S3 (tests)")
        java.util.List<URI> endpoints = new java.util.ArrayList<>();
        @Option(names = {"-h", "--help"}, usageHelp = true, description = "show this help and exit")
        boolean help;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            if (!yes) {
                throw new ClientCommand.Usage("delete-data deletes every project's data for good: add --yes");
            }
            var credentials = profile != null ? ProfileCredentialsProvider.create(profile)
                    : DefaultCredentialsProvider.builder().build();
            var out = spec.commandLine().getOut();
            var dynamoBuilder = DynamoDbClient.builder().httpClient(UrlConnectionHttpClient.create())
                    .credentialsProvider(credentials);
            var s3Builder = software.amazon.awssdk.services.s3.S3Client.builder()
                    .httpClient(UrlConnectionHttpClient.create()).credentialsProvider(credentials)
                    .forcePathStyle(!endpoints.isEmpty());
            if (region != null) {
                dynamoBuilder.region(Region.of(region));
                s3Builder.region(Region.of(region));
            }
            if (!endpoints.isEmpty()) {
                dynamoBuilder.endpointOverride(endpoints.get(0));
                s3Builder.endpointOverride(endpoints.get(endpoints.size() - 1));
            }
            try (DynamoDbClient dynamo = dynamoBuilder.build(); var s3 = s3Builder.build()) {
                for (String table : tables) {
                    try {
                        dynamo.deleteTable(b -> b.tableName(table));
                        out.println("deleted table " + table);
                    } catch (software.amazon.awssdk.services.dynamodb.model.ResourceNotFoundException e) {
                        out.println("no table " + table + " (already deleted)");
                    }
                }
                if (bucket != null) {
                    try {
                        long objects = 0;
                        for (var page : s3.listObjectsV2Paginator(b -> b.bucket(bucket))) {
                            if (page.contents().isEmpty()) {
                                continue;
                            }
                            var ids = page.contents().stream().map(o -> software.amazon.awssdk.services.s3.model
                                    .ObjectIdentifier.builder().key(o.key()).build()).toList();
                            var deleted = s3.deleteObjects(b -> b.bucket(bucket).delete(d -> d.objects(ids).quiet(true)));
                            if (!deleted.errors().isEmpty()) {
                                throw new IllegalStateException("could not delete " + deleted.errors().size()
                                        + " objects of " + bucket + ", e.g. " + deleted.errors().get(0).key() + ": "
                                        + deleted.errors().get(0).message() + " (run it again)");
                            }
                            objects += ids.size();
                        }
                        for (var upload : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket)).uploads()) {
                            s3.abortMultipartUpload(b -> b.bucket(bucket).key(upload.key()).uploadId(upload.uploadId()));
                        }
                        s3.deleteBucket(b -> b.bucket(bucket));
                        out.println("deleted bucket " + bucket + " (" + objects + " objects)");
                    } catch (software.amazon.awssdk.services.s3.model.NoSuchBucketException e) {
                        out.println("no bucket " + bucket + " (already deleted)");
                    }
                }
            }
            out.flush();
            return Main.OK;
        }
    }
}
