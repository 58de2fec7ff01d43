package dev.sluice.cli;

import dev.sluice.client.SluiceClient;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.util.LinkedHashMap;
import java.util.Map;

/** {@code sluice webhooks create | get | list | update | rotate | test | delete}. */
@Command(name = "webhooks", description = "endpoints that receive results, signed with a secret",
        subcommands = {WebhookCommands.Create.class, WebhookCommands.Get.class, WebhookCommands.List.class,
                WebhookCommands.Update.class, WebhookCommands.Rotate.class, WebhookCommands.Test.class,
                WebhookCommands.Delete.class, WebhookCommands.Deliveries.class, WebhookCommands.Replay.class},
        footerHeading = "%nExamples:%n", footer = {
                "  sluice webhooks create --name hook --endpoint https://example.com/hook",
                "  sluice webhooks update webhook_… --max-retries 5"})
final class WebhookCommands extends Group {

    @Command(name = "create", description = "create a webhook; its signing secret is shown once, here",
            footerHeading = "%nExamples:%n", footer = {
                    "  sluice webhooks create --name hook --endpoint https://example.com/hook",
                    "  sluice webhooks create --name hook --endpoint https://example.com/hook --max-retries 5 --max-backoff-ms 30000"})
    static final class Create extends ClientCommand {
        @Option(names = "--name", paramLabel = "NAME", description = "the webhook's name (required)")
        String name;
        @Option(names = "--endpoint", paramLabel = "URL", description = "the https URL results are POSTed to (required)")
        String endpoint;
        @Option(names = "--max-retries", paramLabel = "N", defaultValue = "3",
                description = "retries of a failed delivery (default ${DEFAULT-VALUE})")
        int maxRetries;
        @Option(names = "--max-backoff-ms", paramLabel = "MS", defaultValue = "60000",
                description = "the longest wait between retries, in milliseconds (default ${DEFAULT-VALUE})")
        long maxBackoffMs;

        @Override
        int run(SluiceClient c) {
            return print(c.createWebhook(need(name, "--name"), need(endpoint, "--endpoint"), maxRetries, maxBackoffMs));
        }
    }

    @Command(name = "get", description = "show a webhook (never its secret)", footerHeading = "%nExamples:%n",
            footer = "  sluice webhooks get webhook_…")
    static final class Get extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the webhook's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.webhook(id));
        }
    }

    @Command(name = "list", description = "the project's webhooks, newest first", footerHeading = "%nExamples:%n",
            footer = "  sluice webhooks list")
    static final class List extends ClientCommand {
        @Mixin
        Paging paging;

        @Override
        int run(SluiceClient c) {
            return print(c.webhooks(paging.limit, paging.page));
        }
    }

    @Command(name = "update", description = "change a webhook's endpoint or retries (what is not given stays)",
            footerHeading = "%nExamples:%n", footer = {
                    "  sluice webhooks update webhook_… --max-retries 5",
                    "  sluice webhooks update webhook_… --endpoint https://example.com/new-hook"})
    static final class Update extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the webhook's id")
        String id;
        @Option(names = "--endpoint", paramLabel = "URL", description = "the new endpoint")
        String endpoint;
        @Option(names = "--max-retries", paramLabel = "N", description = "retries of a failed delivery")
        Integer maxRetries;
        @Option(names = "--max-backoff-ms", paramLabel = "MS", description = "the longest wait between retries, ms")
        Long maxBackoffMs;

        @Override
        int run(SluiceClient c) {
            Map<String, Object> spec = new LinkedHashMap<>();
            if (endpoint != null) {
                spec.put("endpoint", endpoint);
            }
            if (maxRetries != null || maxBackoffMs != null) {
                Map<String, Object> retries = new LinkedHashMap<>();
                if (maxRetries != null) {
                    retries.put("maxRetries", maxRetries);
                }
                if (maxBackoffMs != null) {
                    retries.put("maxBackoffMs", maxBackoffMs);
                }
                spec.put("retries", retries);
            }
            return print(c.updateWebhook(id, Map.of("spec", spec)));
        }
    }

    @Command(name = "rotate", description = "give the webhook a new signing secret (shown once, here)",
            footerHeading = "%nExamples:%n", footer = "  sluice webhooks rotate webhook_…")
    static final class Rotate extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the webhook's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.rotateWebhookSecret(id));
        }
    }

    @Command(name = "test", description = "send the webhook a signed test event and show what its endpoint answered",
            footerHeading = "%nExamples:%n", footer = "  sluice webhooks test webhook_…")
    static final class Test extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the webhook's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.testWebhook(id));
        }
    }

    @Command(name = "delete", description = "delete a webhook", footerHeading = "%nExamples:%n",
            footer = "  sluice webhooks delete webhook_…")
    static final class Delete extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the webhook's id")
        String id;

        @Override
        int run(SluiceClient c) {
            return print(c.deleteWebhook(id));
        }
    }

    @Command(name = "deliveries", description = "the webhook's recent POST attempts (items, job events, retries, replays),"
            + " newest first, kept 7 days", footerHeading = "%nExamples:%n", footer = {
                    "  sluice webhooks deliveries webhook_…",
                    "  sluice webhooks deliveries webhook_… --limit 20 --output json"})
    static final class Deliveries extends ClientCommand {
        @Parameters(paramLabel = "ID", description = "the webhook's id")
        String id;
        @Mixin
        Paging paging;

        @Override
        int run(SluiceClient c) {
            return print(c.webhookDeliveries(id, paging.limit, paging.page));
        }
    }

    @Command(name = "replay", description = "POST one attempt's body again (same request id, fresh time and signature);"
            + " the job's counters do not change", footerHeading = "%nExamples:%n",
            footer = "  sluice webhooks replay webhook_… 5f0c…-request-id")
    static final class Replay extends ClientCommand {
        @Parameters(index = "0", paramLabel = "ID", description = "the webhook's id")
        String id;
        @Parameters(index = "1", paramLabel = "REQUEST_ID", description = "the requestId `deliveries` listed")
        String requestId;

        @Override
        int run(SluiceClient c) {
            return print(c.replayWebhookDelivery(id, requestId));
        }
    }
}
