package dev.sluice.core.job;

import dev.sluice.core.ObjectKeys;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.port.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code GET /batch/jobs/{id}/lineage} (issue 24 item 7): each line of a job with its final outcome across the job and
 * its retries (theirs too, following {@code retries} down), a page of lines at a time.
 *
 * <p>A retry runs a subset of its original's lines; which ones is kept beside it ({@link ObjectKeys#retryLines}), so
 * its line k is the k-th line of that set. A page of lines [from, from + limit) of the job is mapped into each retry,
 * and each job's log is read once, keeping only the entries of the page's lines: memory holds one job's line set
 * (one bit per line) and the page, whatever the job's size; each page reads the logs of the jobs of the lineage.
 */
public final class JobLineage {
    /** Jobs one lineage follows (the job, its retries, theirs …), in creation order. */
    public static final int MAX_JOBS = 100;

    /** Where a line ended across its attempts. */
    public enum LineOutcome {
        /** an attempt delivered it (to the webhook; to the result files for a job without one) */
        Delivered,
        /** its last attempt failed it: {@code reason} and {@code failureClass} say why */
        Failed,
        /** its last attempt ended without running it (cancelled, timed out, the error budget, the fan-out's skip) */
        Skipped,
        /** its last attempt has not ended and has not settled it yet */
        Pending
    }

    /**
     * One line of the job: its index (from 0, as log entries' {@code index}), its outcome, the job whose attempt
     * decided it, how many jobs ran it, and for a failure the last reason and its class.
     */
    public record Line(long line, LineOutcome outcome, String jobId, int attempts, String reason,
                       FailureClass failureClass) {
    }

    /** A page of lines; {@code nextPage} (null on the last page) continues where it stopped. */
    public record LinePage(String jobId, List<String> jobs, List<Line> data, String nextPage) {
    }

    private final JobStore jobs;
    private final ObjectStore objects;

    public JobLineage(JobStore jobs, ObjectStore objects) {
        this.jobs = jobs;
        this.objects = objects;
    }

    /**
     * The lines [from, from + limit) of the job, where the page cursor says from.
     *
     * @param root the job (of the caller's project: the caller checked)
     * @throws SluiceException 400 {@code request.bad_limit}, {@code request.bad_cursor}
     */
    public LinePage page(Job root, String limit, String cursor) {
        int max = PageRequest.of(limit, null).limit();
        long from = from(root.id(), cursor);
        long end = Math.min(root.status().itemCount(), from + max);
        // the jobs of the lineage, parents before their retries; each with its window: its line -> the root's line
        List<Job> lineage = new ArrayList<>();
        Map<String, TreeMap<Long, Long>> windows = new HashMap<>();
        TreeMap<Long, Long> rootWindow = new TreeMap<>();
        for (long line = from; line < end; line++) {
            rootWindow.put(line, line);
        }
        windows.put(root.id(), rootWindow);
        java.util.ArrayDeque<Job> queue = new java.util.ArrayDeque<>(List.of(root));
        while (!queue.isEmpty() && lineage.size() < MAX_JOBS) {
            Job job = queue.poll();
            lineage.add(job);
            if (job.retries() == null) {
                continue;
            }
            for (String retryId : job.retries()) {
                java.util.Optional<Job> retry = jobs.get(retryId).filter(r -> r.projectId().equals(root.projectId()));
                if (retry.isEmpty() || windows.containsKey(retryId)) {
                    continue; // a retry deleted since, or a link that was written but whose create failed
                }
                windows.put(retryId, window(retry.get(), windows.get(job.id())));
                queue.add(retry.get());
            }
        }
        lineage.sort(java.util.Comparator.comparingLong(Job::createTime).thenComparing(Job::id));
        Map<Long, Line> lines = new TreeMap<>();
        for (Job job : lineage) {
            settle(job, windows.get(job.id()), lines);
        }
        List<Line> data = new ArrayList<>();
        for (long line = from; line < end; line++) {
            Line l = lines.get(line);
            data.add(l != null ? l : new Line(line, LineOutcome.Pending, root.id(), 0, null, null));
        }
        String next = end < root.status().itemCount()
                ? PageRequest.encode("v1|lineage:" + root.id() + "|" + end) : null;
        return new LinePage(root.id(), lineage.stream().map(Job::id).toList(), data, next);
    }

    private static long from(String jobId, String cursor) {
        if (cursor == null || cursor.isEmpty()) {
            return 0;
        }
        String[] parts = PageRequest.decode(cursor).split("\\|", -1);
        if (parts.length != 3 || !parts[0].equals("v1") || !parts[1].equals("lineage:" + jobId)
                || !parts[2].matches("\\d{1,12}")) {
            throw PageRequest.badCursor();
        }
        return Long.parseLong(parts[2]);
    }

    /** The retry's window: its line k for each of its original's lines in the original's window it runs. */
    private TreeMap<Long, Long> window(Job retry, TreeMap<Long, Long> parentWindow) {
        TreeMap<Long, Long> window = new TreeMap<>();
        if (parentWindow.isEmpty()) {
            return window;
        }
        BitSet ran;
        try (InputStream in = objects.open(ObjectKeys.retryLines(retry.projectId(), retry.id()), 0, null)) {
            ran = BitSet.valueOf(in.readAllBytes());
        } catch (IOException e) {
            throw new UncheckedIOException("reading the lines of retry " + retry.id(), e);
        } catch (RuntimeException e) {
            return window; // a retry made before lineage was kept: its lines cannot be mapped
        }
        long first = parentWindow.firstKey();
        long rank = ran.get(0, (int) first).cardinality();
        for (long p = first; p <= parentWindow.lastKey(); p++) {
            if (ran.get((int) p)) {
                if (parentWindow.containsKey(p)) {
                    window.put(rank, parentWindow.get(p));
                }
                rank++;
            }
        }
        return window;
    }

    /** Reads the job's log once; its attempt decides each line of its window unless an earlier one delivered it. */
    private void settle(Job job, TreeMap<Long, Long> window, Map<Long, Line> lines) {
        if (window == null || window.isEmpty()) {
            return;
        }
        String done = job.spec() != null && job.spec().webhookId() != null ? "ItemDelivered" : "ItemPredicted";
        Map<Long, LogEntry> last = new HashMap<>();
        java.util.Set<Long> delivered = new java.util.HashSet<>();
        String cursor = null;
        do {
            JobStore.LogPage page = jobs.logs(job.id(), -1, Long.MAX_VALUE / 2, false, 1000, cursor);
            for (LogEntry e : page.entries()) {
                if (e.index() == null || !window.containsKey(e.index())) {
                    continue;
                }
                if (done.equals(e.kind())) {
                    delivered.add(e.index());
                } else if (e.failureClass() != null) {
                    last.put(e.index(), e); // entries are oldest first: a line's last failure stays
                }
            }
            cursor = page.nextPage();
        } while (cursor != null);
        boolean ended = job.status().overview().isTerminal();
        window.forEach((line, rootLine) -> {
            Line before = lines.get(rootLine);
            int attempts = before == null ? 1 : before.attempts() + 1;
            if (before != null && before.outcome() == LineOutcome.Delivered) {
                lines.put(rootLine, new Line(rootLine, LineOutcome.Delivered, before.jobId(), attempts, null, null));
            } else if (delivered.contains(line)) {
                lines.put(rootLine, new Line(rootLine, LineOutcome.Delivered, job.id(), attempts, null, null));
            } else if (last.containsKey(line)) {
                LogEntry e = last.get(line);
                lines.put(rootLine, new Line(rootLine, LineOutcome.Failed, job.id(), attempts, e.reason(), e.failureClass()));
            } else {
                lines.put(rootLine, new Line(rootLine, ended ? LineOutcome.Skipped : LineOutcome.Pending, job.id(),
                        attempts, null, null));
            }
        });
    }
}
