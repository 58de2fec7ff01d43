package dev.sluice.core.delivery;

import dev.sluice.core.Clock;
import dev.sluice.core.Json;
import dev.sluice.core.ObjectKeys;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.port.ObjectStore;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The recent POST attempts of each webhook, for {@code GET /batch/webhooks/{id}/deliveries} and their replay.
 *
 * <p>Stored in the data bucket, one object per round of POSTs (every POST to the webhook in one invocation of the
 * delivery function, whatever the number of messages it took, or one replay): {@link ObjectKeys#webhookDeliveries} + {@code {13-digit reversed ms}-{8 hex}.ndjson}, one
 * {@link Stored} line per attempt. The reversed time makes the key order newest first, so a page is one ListObjectsV2
 * call from the cursor's object on. One S3 PUT per round (up to ten messages of up to 256 items each) instead of a
 * DynamoDB write per POST keeps the record within the orchestration budget: an S3 PUT costs as much as 8 WRU, and the
 * round holds the signed bodies a replay sends again (tens of KB for a batch, 20 and more WRU in DynamoDB).
 *
 * <p>Retention is bounded: the bucket's lifecycle rule deletes the objects after {@link #RETENTION_DAYS} days (infra:
 * DataStore, template.yaml), and what is older is never listed nor replayed even before the rule ran (it runs once a
 * day). Everything is under the project's and the webhook's prefix: a project reads only its own attempts.
 */
public final class DeliveryLog {
    private static final org.slf4j.Logger LOG = org.slf4j.LoggerFactory.getLogger(DeliveryLog.class);
    /** How long attempts are kept and shown. */
    public static final int RETENTION_DAYS = 7;
    static final long RETENTION_MILLIS = RETENTION_DAYS * 86_400_000L;
    /** The rounds a replay reads, newest first, looking for its request id. */
    public static final int MAX_REPLAY_ROUNDS = 200;
    private static final long REVERSE = 9_999_999_999_999L;
    private static final Pattern ANCHOR = Pattern.compile("(\\d{13}-[0-9a-f]{8})-(\\d{1,6})");

    /**
     * One POST attempt as the API lists it.
     *
     * @param requestId  the {@code Datature-Webhook-Request-ID} it carried (the same on every attempt of one item or event)
     * @param itemIndex  the dataset line of the item, null for a job event
     * @param event      the job event's type as {@code spec.events} names it ({@code job.started}, {@code job.progress},
     *                   {@code job.completed}), null for an item
     * @param progressPercent the threshold a {@code job.progress} event reported (25, 50 or 75), null otherwise
     * @param statusCode the HTTP status answered; 0 when none came (timeout, connection failure, refused address)
     * @param latencyMs  from the POST's start to its answer or failure, ms
     * @param error      why it did not succeed (null on 2xx)
     * @param time       when it was sent, ms since the epoch
     * @param replay     true for a POST sent by {@code :replay}
     */
    public record Attempt(String object, String id, String webhookId, String requestId, String jobId, Long itemIndex,
                          String event, Integer progressPercent, int statusCode, long latencyMs, String error,
                          long time, boolean replay) {
        public static final String OBJECT = "webhook.delivery";
    }

    /**
     * An attempt as stored: what the listing shows, and the signed body and item URL a replay sends again. {@code event}
     * is the event's ledger key ({@link dev.sluice.core.job.JobEvent#ledgerKey()}: {@code job.progress.25}), which the
     * listing splits into the type and the percent.
     */
    public record Stored(String requestId, String jobId, Long itemIndex, String event, String url, int statusCode,
                         long latencyMs, String error, long time, boolean replay, String body) {
        Attempt shown(String webhookId, String id) {
            String type = event;
            Integer percent = null;
            String progress = dev.sluice.core.job.JobEvent.Type.PROGRESS.wire() + ".";
            if (event != null && event.startsWith(progress)) {
                type = dev.sluice.core.job.JobEvent.Type.PROGRESS.wire();
                percent = Integer.valueOf(event.substring(progress.length()));
            }
            return new Attempt(Attempt.OBJECT, id, webhookId, requestId, jobId, itemIndex, type, percent, statusCode,
                    latencyMs, error, time, replay);
        }
    }

    private final ObjectStore objects;
    private final Clock clock;

    public DeliveryLog(ObjectStore objects, Clock clock) {
        this.objects = objects;
        this.clock = clock;
    }

    /**
     * Records one round of attempts of a webhook (one S3 PUT). A failure to record is logged and does not fail the
     * delivery: the attempts happened, and sending them again for the sake of the record would POST twice.
     *
     * @return the listing id of the round's first attempt (null for no attempt)
     */
    public String record(String projectId, String webhookId, List<Stored> attempts) {
        if (attempts.isEmpty()) {
            return null;
        }
        StringBuilder lines = new StringBuilder();
        for (Stored a : attempts) {
            lines.append(Json.write(a)).append('\n');
        }
        String name = String.format("%013d", REVERSE - clock.nowMillis()) + "-"
                + String.format("%08x", dev.sluice.core.Jitter.nextInt());
        try {
            objects.put(ObjectKeys.webhookDeliveries(projectId, webhookId) + name + ".ndjson",
                    lines.toString().getBytes(StandardCharsets.UTF_8), "application/x-ndjson");
        } catch (RuntimeException e) {
            LOG.warn("the record of {} delivery attempts of webhook {} was not written", attempts.size(), webhookId, e);
        }
        return name + "-0";
    }

    /**
     * A page of the webhook's attempts, newest first, within the retention. The page's {@code nextPage} continues
     * after its last attempt ({@link PageRequest#nextCursor}, bound to this project's webhook); it is null on the
     * last page. Paging is forward only ({@code prevPage} is null).
     *
     * @throws dev.sluice.core.SluiceException 400 {@code request.bad_cursor} for a cursor of another listing
     */
    public Page<Attempt> list(String projectId, String webhookId, PageRequest page) {
        String listing = listing(projectId, webhookId);
        String prefix = ObjectKeys.webhookDeliveries(projectId, webhookId);
        if (!page.forward()) {
            throw PageRequest.badCursor();
        }
        String anchor = page.anchorIn(listing, "");
        String round = null;
        int skip = 0;
        if (anchor != null) {
            Matcher m = ANCHOR.matcher(anchor);
            if (!m.matches()) {
                throw PageRequest.badCursor();
            }
            round = m.group(1);
            skip = Integer.parseInt(m.group(2)) + 1;
        }
        long oldest = clock.nowMillis() - RETENTION_MILLIS;
        List<Attempt> data = new ArrayList<>();
        String lastId = null;
        boolean more = false;
        String after = null;
        if (round != null) {
            // the rest of the cursor's round first (its key sorts just after "prefix + round")
            after = prefix + round + ".ndjson";
            List<Stored> rest = read(prefix + round + ".ndjson");
            for (int i = skip; i < rest.size(); i++) {
                if (data.size() == page.limit()) {
                    more = true;
                    break;
                }
                data.add(rest.get(i).shown(webhookId, round + "-" + i));
            }
        }
        scan:
        while (!more) {
            List<String> keys = objects.keys(prefix, after, 100);
            for (String key : keys) {
                after = key;
                String name = key.substring(prefix.length(), key.length() - ".ndjson".length());
                if (timeOf(name) < oldest) {
                    break scan;
                }
                List<Stored> lines = read(key);
                for (int i = 0; i < lines.size(); i++) {
                    if (data.size() == page.limit()) {
                        more = true;
                        break scan;
                    }
                    data.add(lines.get(i).shown(webhookId, name + "-" + i));
                }
            }
            if (keys.size() < 100) {
                break;
            }
        }
        if (more && !data.isEmpty()) {
            lastId = data.get(data.size() - 1).id();
        }
        return new Page<>(data, PageRequest.nextCursor(listing, lastId), null);
    }

    /**
     * The newest stored attempt with this request id within the retention, among the webhook's
     * {@value #MAX_REPLAY_ROUNDS} newest rounds; empty when there is none.
     */
    public Optional<Stored> find(String projectId, String webhookId, String requestId) {
        String prefix = ObjectKeys.webhookDeliveries(projectId, webhookId);
        long oldest = clock.nowMillis() - RETENTION_MILLIS;
        String after = null;
        int read = 0;
        while (read < MAX_REPLAY_ROUNDS) {
            List<String> keys = objects.keys(prefix, after, Math.min(100, MAX_REPLAY_ROUNDS - read));
            for (String key : keys) {
                after = key;
                read++;
                if (timeOf(key.substring(prefix.length())) < oldest) {
                    return Optional.empty();
                }
                for (Stored s : read(key)) {
                    if (requestId.equals(s.requestId())) {
                        return Optional.of(s);
                    }
                }
            }
            if (keys.isEmpty()) {
                break;
            }
        }
        return Optional.empty();
    }

    private List<Stored> read(String key) {
        byte[] bytes;
        try {
            bytes = objects.read(key);
        } catch (RuntimeException e) {
            // expired by the lifecycle rule between the listing and the read
            return List.of();
        }
        List<Stored> out = new ArrayList<>();
        for (String line : new String(bytes, StandardCharsets.UTF_8).split("\n")) {
            if (!line.isEmpty()) {
                out.add(Json.read(line, Stored.class));
            }
        }
        return out;
    }

    private static long timeOf(String name) {
        return REVERSE - Long.parseLong(name.substring(0, 13));
    }

    private static String listing(String projectId, String webhookId) {
        return "webhook.delivery/" + projectId + "/" + webhookId;
    }
}
