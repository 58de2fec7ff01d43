package dev.sluice.core.job;

import com.fasterxml.jackson.databind.JsonNode;
import dev.sluice.core.Json;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.port.ObjectStore;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code GET /batch/jobs/{id}/items} (issue 23 item 4): a job's committed item outcomes in commit order, while the
 * job runs and after, through a tailing cursor.
 *
 * <p>The order is the job's item records' ({@link JobStore#itemRecords}): every transaction that ends items writes one,
 * numbered next under a condition on the job's last number, so records are gapless and a commit never lands behind a
 * position a reader has passed. A position is (record number, offset in the record); the cursor names it, bound to
 * the project and the job, and is handed out on every page, the last one too: the same cursor reads the same page
 * (records are never changed), and a reader that comes back with the last cursor reads what was committed since.
 *
 * <p>Memory holds one page: at most {@link #MAX_RECORDS} records are read per request, the log entries of the commits
 * on the page, and, for predictions, the lines of the results parts they name (streamed; only the page's are kept).
 * A results part holds the predictions of its batches; an item delivered by a webhook finds its part through the
 * ledger row of its inference batch.
 */
public final class JobItems {
    /** Records read per request at most (a filter that matches nothing still answers, with a cursor further on). */
    static final int MAX_RECORDS = 100;
    private final JobStore jobs;
    private final ObjectStore objects;

    public JobItems(JobStore jobs, ObjectStore objects) {
        this.jobs = jobs;
        this.objects = objects;
    }

    /**
     * The query: {@code after} (a cursor of this listing; none: from the first item), {@code limit} (1–1000, default
     * 100; {@code request.bad_limit}), {@code status} (one of {@link ItemOutcomes.Status} or several, comma-separated;
     * {@code request.bad_status}).
     */
    public record Query(String after, int limit, Set<ItemOutcomes.Status> statuses) {
        public static final Set<String> PARAMETERS = Set.of("after", "limit", "status");

        public static Query of(Map<String, String> query) {
            int limit = PageRequest.of(query.get("limit"), null).limit();
            Set<ItemOutcomes.Status> statuses = EnumSet.allOf(ItemOutcomes.Status.class);
            String status = query.get("status");
            if (status != null && !status.isEmpty()) {
                statuses = EnumSet.noneOf(ItemOutcomes.Status.class);
                for (String one : status.split(",", -1)) {
                    ItemOutcomes.Status s = ItemOutcomes.Status.ofEntry(one.trim());
                    if (s == null) {
                        throw SluiceException.invalid("request.bad_status", "status must be one or more of "
                                + java.util.Arrays.toString(ItemOutcomes.Status.values()) + ", comma-separated");
                    }
                    statuses.add(s);
                }
            }
            String after = query.get("after");
            return new Query(after == null || after.isEmpty() ? null : after, limit, statuses);
        }
    }

    /**
     * One item's outcome: {@code prediction} on Delivered items (the results part's), {@code reason} and {@code code}
     * on failed and skipped ones; {@code id} when the dataset line had one and the item was predicted.
     */
    @com.fasterxml.jackson.annotation.JsonInclude(com.fasterxml.jackson.annotation.JsonInclude.Include.NON_NULL)
    public record Item(long index, String id, String url, ItemOutcomes.Status status, JsonNode prediction,
                       String reason, String code) {
    }

    /**
     * @param nextCursor where the next page starts: always given (the last page's resumes the tail)
     * @param hasMore    whether items were committed after this page already (false: caught up with the commits)
     */
    public record Page(List<Item> data, String nextCursor, boolean hasMore) {
    }

    /** A page of the job's items (the caller checked the job is the project's). */
    public Page page(Job job, Query query) {
        String listing = "items:" + job.projectId() + ":" + job.id();
        long seq = 1;
        long offset = 0;
        if (query.after() != null) {
            // v1|items:<project>:<job>|<record>|<offset>
            String[] parts;
            try {
                parts = PageRequest.decode(query.after()).split("\\|", -1);
            } catch (SluiceException notACursor) {
                throw PageRequest.badCursor("after");
            }
            if (parts.length != 4 || !parts[0].equals("v1") || !parts[1].equals(listing)
                    || !parts[2].matches("[1-9][0-9]{0,11}") || !parts[3].matches("[0-9]{1,9}")) {
                throw PageRequest.badCursor("after"); // the items' cursor parameter, not "page" (a new user was told "page")
            }
            seq = Long.parseLong(parts[2]);
            offset = Long.parseLong(parts[3]);
        }
        List<JobStore.ItemRecord> records = jobs.itemRecords(job.id(), seq, MAX_RECORDS);
        List<Picked> picked = new ArrayList<>();
        boolean full = false;
        for (JobStore.ItemRecord record : records) {
            if (record.seq() != seq) {
                break; // a gap cannot be (numbers are conditional); stop at it rather than pass it
            }
            long position = 0;
            walk:
            for (JobStore.ItemRecord.Commit commit : record.commits()) {
                for (ItemOutcomes.Run run : commit.runs()) {
                    for (long k = Math.max(0, offset - position); k < run.size(); k++) {
                        if (picked.size() == query.limit()) {
                            full = true; // (seq, offset) names this item, the first of the next page
                            break walk;
                        }
                        ItemOutcomes.Outcome o = switch (run) {
                            case ItemOutcomes.Outcome one -> one;
                            case ItemOutcomes.SkippedLines lines -> new ItemOutcomes.Outcome(lines.from() + k,
                                    ItemOutcomes.Status.Skipped, ItemOutcomes.JOB_TERMINAL);
                        };
                        offset = position + k + 1;
                        if (query.statuses().contains(o.status())) {
                            picked.add(new Picked(commit, o, run instanceof ItemOutcomes.SkippedLines));
                        }
                    }
                    position += run.size();
                }
            }
            if (full) {
                break;
            }
            seq++;
            offset = 0;
        }
        // more is committed already when the page stopped inside the records, or read as many records as it may
        boolean hasMore = full || records.size() == MAX_RECORDS;
        return new Page(resolve(job, picked), PageRequest.encode("v1|" + listing + "|" + seq + "|" + offset), hasMore);
    }

    private record Picked(JobStore.ItemRecord.Commit commit, ItemOutcomes.Outcome outcome, boolean unread) {
    }

    /** The page's items with their URLs and reasons (from their commits' logs) and predictions (from the parts). */
    private List<Item> resolve(Job job, List<Picked> picked) {
        Map<JobStore.ItemRecord.Commit, Map<Long, LogEntry>> logs = new java.util.IdentityHashMap<>();
        Map<String, Set<Long>> wantedByPart = new LinkedHashMap<>();
        Map<JobStore.ItemRecord.Commit, String> partOf = new java.util.IdentityHashMap<>();
        for (Picked p : picked) {
            if (p.unread) {
                continue;
            }
            logs.computeIfAbsent(p.commit, c -> {
                Map<Long, LogEntry> byIndex = new HashMap<>();
                if (c.logKey() != null) {
                    for (LogEntry e : jobs.commitLog(job.id(), c.logKey())) {
                        ItemOutcomes.Status s = ItemOutcomes.Status.ofEntry(e.status());
                        if (e.index() != null && (s != null || "Predicted".equals(e.status()))) {
                            byIndex.put(e.index(), e);
                        }
                    }
                }
                return byIndex;
            });
            if (p.outcome.status() == ItemOutcomes.Status.Delivered) {
                String part = partOf.computeIfAbsent(p.commit, c -> c.resultsPart() != null ? c.resultsPart()
                        : String.valueOf(jobs.resultsPartOf(job.id(), c.batchId())));
                wantedByPart.computeIfAbsent(part, k -> new HashSet<>()).add(p.outcome.index());
            }
        }
        Map<Long, JsonNode> lines = new HashMap<>();
        wantedByPart.forEach((part, wanted) -> {
            if (!"null".equals(part)) {
                readLines(part, wanted, lines);
            }
        });
        List<Item> items = new ArrayList<>(picked.size());
        for (Picked p : picked) {
            ItemOutcomes.Outcome o = p.outcome;
            if (p.unread) {
                items.add(new Item(o.index(), null, null, o.status(), null,
                        ItemOutcomes.JOB_TERMINAL + ": the job ended before this line was read", o.code()));
                continue;
            }
            LogEntry entry = logs.get(p.commit).get(o.index());
            JsonNode line = lines.get(o.index());
            String url = entry != null ? entry.item() : line != null ? line.path("item").path("url").asText(null) : null;
            String id = line != null ? line.path("item").path("id").asText(null) : null;
            if (o.status() == ItemOutcomes.Status.Delivered) {
                if (line == null) {
                    // the committed part must hold it: a missing line is a fault to report, never a silent gap
                    throw new IllegalStateException("item " + o.index() + " of job " + job.id()
                            + " is Delivered but its results part holds no line for it");
                }
                items.add(new Item(o.index(), id, url, o.status(), line.get("prediction"), null, null));
            } else {
                items.add(new Item(o.index(), id, url, o.status(), null, entry == null ? null : entry.reason(), o.code()));
            }
        }
        return items;
    }

    /** The lines of {@code part} whose item index is wanted, streamed (the others are not kept). */
    private void readLines(String part, Set<Long> wanted, Map<Long, JsonNode> into) {
        try (BufferedReader in = new BufferedReader(new InputStreamReader(objects.open(part, 0, null),
                StandardCharsets.UTF_8))) {
            String line;
            int found = 0;
            while (found < wanted.size() && (line = in.readLine()) != null) {
                if (line.isEmpty()) {
                    continue;
                }
                JsonNode node = Json.tree(line);
                long index = node.path("item").path("index").asLong(-1);
                if (wanted.contains(index)) {
                    into.put(index, node);
                    found++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading results part " + part, e);
        }
    }
}
