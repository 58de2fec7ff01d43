package dev.sluice.core.dataset;

import dev.sluice.core.net.OutboundGuard;
import dev.sluice.core.port.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads a Ready dataset line by line with the fan-out's own rules ({@link ItemParser}) without running anything: what
 * a dry run reports, and which lines a sample run ({@code spec.limit}) takes. Memory is bounded whatever the dataset's
 * size: the file is streamed, and at most {@value #MAX_LISTED} invalid lines, refused URLs and hosts are kept.
 */
public final class DatasetScan {
    /** Invalid lines, refused URLs and hosts listed at most (their counts stay exact). */
    public static final int MAX_LISTED = 1000;
    /**
     * Hosts whose addresses are checked against the {@link OutboundGuard} (one DNS resolution each, the first this
     * many distinct hosts); URLs of later hosts are counted but not checked ({@code hostsChecked} says how many were).
     */
    public static final int MAX_CHECKED_HOSTS = 100;

    /** A line the fan-out would fail ({@code item.*}), numbered from 0 as log entries' {@code index}. */
    public record InvalidLine(long line, String code, String reason) {
    }

    /** A valid line whose URL the outbound guard refuses: the run would fail it {@code url.*}. */
    public record RefusedUrl(long line, String url, String code, String reason) {
    }

    /** A web host (scheme://host[:port]) or an S3 bucket (s3://bucket), and how many items it serves. */
    public record Host(String host, long items) {
    }

    /**
     * @param lines          lines read (all of the file, or up to the line that made {@code limit} valid items)
     * @param itemCount      valid lines among them: the items a job would run
     * @param invalidLines   the first {@value #MAX_LISTED} lines that do not parse; {@code invalidLineCount} all of them
     * @param refusedUrls    the first {@value #MAX_LISTED} items whose URL the guard refuses; {@code refusedUrlCount} all
     * @param hosts          the first {@value #MAX_LISTED} distinct hosts in order of appearance
     * @param hostsTruncated true when there were more hosts than listed
     * @param hostsChecked   how many hosts the guard checked ({@value #MAX_CHECKED_HOSTS} at most)
     */
    public record Summary(long lines, long itemCount, long invalidLineCount, List<InvalidLine> invalidLines,
                          long refusedUrlCount, List<RefusedUrl> refusedUrls, List<Host> hosts,
                          boolean hostsTruncated, int hostsChecked) {
    }

    private final ObjectStore objects;
    private final ItemParser parser;
    private final OutboundGuard guard;

    public DatasetScan(ObjectStore objects, ItemParser parser, OutboundGuard guard) {
        this.objects = objects;
        this.parser = parser;
        this.guard = guard;
    }

    /**
     * What running the dataset would meet.
     *
     * @param limit stop after this many valid lines (a sample run), or null for the whole file
     * @throws ObjectStore.ObjectChangedException when the file changed since the dataset was validated
     */
    public Summary summarise(Dataset dataset, Integer limit) {
        long lines = 0;
        long items = 0;
        long invalid = 0;
        long refused = 0;
        List<InvalidLine> invalidLines = new ArrayList<>();
        List<RefusedUrl> refusedUrls = new ArrayList<>();
        Map<String, long[]> hosts = new LinkedHashMap<>();
        Map<String, OutboundGuard.Refusal> verdicts = new HashMap<>();
        boolean truncated = false;
        try (InputStream in = objects.open(dataset.objectKey(), 0, dataset.status().etag())) {
            NdjsonReader reader = new NdjsonReader(in, 0);
            NdjsonReader.Line line;
            while ((limit == null || items < limit) && (line = reader.next()) != null) {
                long index = lines++;
                ItemParser.Result parsed = parser.parse(index, line);
                if (!parsed.ok()) {
                    if (invalidLines.size() < MAX_LISTED) {
                        invalidLines.add(new InvalidLine(index, parsed.errorCode(), parsed.errorReason()));
                    }
                    invalid++;
                    continue;
                }
                items++;
                String url = parsed.item().url();
                String host = host(url);
                long[] count = hosts.get(host);
                if (count == null && hosts.size() < MAX_LISTED) {
                    hosts.put(host, count = new long[1]);
                } else if (count == null) {
                    truncated = true;
                }
                if (count != null) {
                    count[0]++;
                }
                OutboundGuard.Refusal refusal = check(host, url, verdicts);
                if (refusal != null) {
                    if (refusedUrls.size() < MAX_LISTED) {
                        refusedUrls.add(new RefusedUrl(index, url, refusal.code(), refusal.reason()));
                    }
                    refused++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading dataset " + dataset.id(), e);
        }
        List<Host> listed = hosts.entrySet().stream().map(e -> new Host(e.getKey(), e.getValue()[0])).toList();
        return new Summary(lines, items, invalid, List.copyOf(invalidLines), refused, List.copyOf(refusedUrls), listed,
                truncated, verdicts.size());
    }

    /** The line indexes of the first n valid lines (fewer when the dataset has fewer). */
    public BitSet firstValid(Dataset dataset, int n) {
        BitSet lines = new BitSet();
        int found = 0;
        try (InputStream in = objects.open(dataset.objectKey(), 0, dataset.status().etag())) {
            NdjsonReader reader = new NdjsonReader(in, 0);
            NdjsonReader.Line line;
            int index = 0;
            while (found < n && (line = reader.next()) != null) {
                if (parser.parse(index, line).ok()) {
                    lines.set(index);
                    found++;
                }
                index++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading dataset " + dataset.id(), e);
        }
        return lines;
    }

    /** The guard's verdict on a web URL, once per host; s3:// items are checked by bucket when fetched. */
    private OutboundGuard.Refusal check(String host, String url, Map<String, OutboundGuard.Refusal> verdicts) {
        if (guard == null || !(url.regionMatches(true, 0, "https:", 0, 6) || url.regionMatches(true, 0, "http:", 0, 5))) {
            return null;
        }
        if (verdicts.containsKey(host)) {
            return verdicts.get(host);
        }
        if (verdicts.size() >= MAX_CHECKED_HOSTS) {
            return null;
        }
        OutboundGuard.Refusal refusal = guard.check(url);
        verdicts.put(host, refusal);
        return refusal;
    }

    private static String host(String url) {
        String origin = OutboundGuard.origin(url);
        return origin.endsWith(":-1") ? origin.substring(0, origin.length() - 3) : origin;
    }
}
