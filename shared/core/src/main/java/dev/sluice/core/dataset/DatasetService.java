package dev.sluice.core.dataset;

import dev.sluice.core.Clock;
import dev.sluice.core.Ids;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.core.pipeline.BatchQueue;
import dev.sluice.core.pipeline.FanoutMessage;
import dev.sluice.core.port.Catalog;
import dev.sluice.core.port.ObjectStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.Optional;

/**
 * Datasets: created with a presigned upload URL; once the object is there, counted (streaming) by the fanout
 * function and marked Ready with its item count, or Failed with a reason.
 */
public final class DatasetService {
    public static final Duration UPLOAD_URL_TTL = Duration.ofMinutes(60);

    private final Catalog catalog;
    private final ObjectStore objects;
    private final BatchQueue queue;
    private final Clock clock;

    public DatasetService(Catalog catalog, ObjectStore objects, BatchQueue queue, Clock clock) {
        this.catalog = catalog;
        this.objects = objects;
        this.queue = queue;
        this.clock = clock;
    }

    /**
     * metadata: up to 16 string pairs, see {@link dev.sluice.core.Metadata#check}. expiryTime: epoch milliseconds,
     * after the create and at most {@link Dataset#MAX_EXPIRY} after it (400 {@code dataset.bad_expiry_time});
     * default {@link Dataset#DEFAULT_EXPIRY} after the create.
     */
    public record CreateRequest(String name, Dataset.Source source, java.util.Map<String, String> metadata,
                                Long expiryTime) {
        public CreateRequest(String name, Dataset.Source source) {
            this(name, source, null, null);
        }

        public CreateRequest(String name, Dataset.Source source, java.util.Map<String, String> metadata) {
            this(name, source, metadata, null);
        }
    }

    /**
     * Whether a job that was created on a dataset still holds it (a delete or an expiry must wait): the job exists and
     * has not ended, or it does not exist yet and was reserved less than {@link #CREATE_GRACE} ago (a create between
     * its reservation and its write). What the job store answers, given by the job side.
     */
    @FunctionalInterface
    public interface Holders {
        boolean holds(Dataset.Reader reader, long now);
    }

    /** How long a reservation whose job was never written holds the dataset (a create that failed half-way). */
    public static final Duration CREATE_GRACE = Duration.ofMinutes(10);
    /** Readers a dataset records before the ended ones are pruned; past it with none ended, 409. */
    public static final int MAX_READERS = 100;
    public Dataset create(String projectId, CreateRequest request) {
        Validation.required(request, "dataset.body_required", "send a JSON body {name, source:{kind:\"UploadedNdjson\"}}");
        Validation.name(request.name(), "dataset");
        Validation.check(request.source() != null && Dataset.Source.UPLOADED_NDJSON.equals(request.source().kind())
                        && request.source().jobId() == null,
                "dataset.bad_source", "source.kind must be \"UploadedNdjson\"");
        java.util.Map<String, String> metadata = dev.sluice.core.Metadata.check(request.metadata());
        long now = clock.nowMillis();
        Validation.time(request.expiryTime(), "dataset.bad_expiry_time", "expiryTime");
        Validation.check(request.expiryTime() == null || request.expiryTime() > now
                        && request.expiryTime() <= now + Dataset.MAX_EXPIRY.toMillis(), "dataset.bad_expiry_time",
                "expiryTime must be after now and at most " + Dataset.MAX_EXPIRY.toDays()
                        + " days ahead (epoch milliseconds); leave it out for " + Dataset.DEFAULT_EXPIRY.toDays() + " days");
        long expiry = request.expiryTime() != null ? request.expiryTime() : now + Dataset.DEFAULT_EXPIRY.toMillis();
        String id = Ids.newId(Ids.DATASET, now);
        ObjectStore.UploadUrl url = objects.presignPut(Dataset.objectKey(projectId, id), "application/x-ndjson",
                UPLOAD_URL_TTL);
        Dataset dataset = new Dataset(id, Dataset.OBJECT, request.name(), projectId, request.source(),
                new Dataset.Status(Dataset.State.Uploading, null, null, null, null, new Dataset.UploadStatus(url)),
                now, now, metadata, expiry, null);
        catalog.put(projectId, id, dataset);
        return dataset;
    }

    /** The dataset as the API shows it; an upload that has arrived since the last look starts its validation. */
    public Dataset get(String projectId, String id) {
        return read(projectId, id).shown();
    }

    private Dataset read(String projectId, String id) {
        Dataset dataset = catalog.get(projectId, Dataset.KIND, id)
                .orElseThrow(() -> Dataset.KIND.notFound(id));
        if (dataset.status().overview() == Dataset.State.Uploading) {
            Optional<ObjectStore.ObjectInfo> info = objects.head(dataset.objectKey());
            if (info.isPresent()) {
                Dataset.Status validating = new Dataset.Status(Dataset.State.Validating, null, null,
                        info.get().sizeBytes(), info.get().etag(), null);
                long now = clock.nowMillis();
                boolean[] started = {false};
                // one look starts the validation: the one whose conditional write moved the dataset out of Uploading
                dataset = catalog.update(projectId, Dataset.KIND, id, stored -> {
                    started[0] = stored.status().overview() == Dataset.State.Uploading;
                    return started[0] ? stored.withStatus(validating, now) : stored;
                }).orElseThrow(() -> Dataset.KIND.notFound(id));
                if (started[0]) {
                    queue.send(BatchQueue.Name.FANOUT, FanoutMessage.validate(projectId, id).envelope().forProject(projectId), 0);
                }
            }
        }
        return dataset;
    }

    /**
     * Reserves the dataset for a job about to be created (issue 24 item 6): a conditional write adds the job to the
     * dataset's readers while it is Ready and not expired, so a delete or an expiry that comes after sees it, and one
     * that came first (Deleting, Expired, gone) refuses the job: a job created concurrently with a delete either holds
     * the dataset or fails with a code, never runs on a file that is being removed.
     *
     * @throws SluiceException 404 {@code dataset.not_found}; 409 {@code dataset.not_ready} when it is not Ready
     *                         (Deleting, Expired, …), {@code dataset.expired} once its expiryTime passed,
     *                         {@code dataset.too_many_jobs} when {@value #MAX_READERS} jobs hold it
     */
    public Dataset reserve(String projectId, String id, String jobId, Holders holders) {
        long now = clock.nowMillis();
        return catalog.update(projectId, Dataset.KIND, id, stored -> {
            if (stored.expiredAt(now)) {
                throw SluiceException.conflict("dataset.expired", "dataset " + id + " expired at "
                        + java.time.Instant.ofEpochMilli(stored.expiryTime() == null ? now : stored.expiryTime())
                        + "; upload the file as a new dataset");
            }
            if (stored.status().overview() != Dataset.State.Ready) {
                throw SluiceException.conflict("dataset.not_ready", "dataset " + id + " is "
                        + stored.status().overview() + "; upload the file and wait until its status.overview is Ready");
            }
            java.util.List<Dataset.Reader> readers = new java.util.ArrayList<>(
                    stored.readers() == null ? java.util.List.of() : stored.readers());
            if (readers.size() >= MAX_READERS) {
                readers.removeIf(r -> !holders.holds(r, now));
                Validation.check(readers.size() < MAX_READERS, "dataset.too_many_jobs", "dataset " + id + " is read by "
                        + MAX_READERS + " jobs that have not ended; wait for one to end");
            }
            readers.add(new Dataset.Reader(jobId, now));
            return stored.withReaders(readers);
        }).orElseThrow(() -> Dataset.KIND.notFound(id));
    }

    /**
     * Deletes a dataset of the project and its file (issue 24 item 6): a conditional write moves it to Deleting unless
     * a job it recorded ({@link #reserve}) still holds it; then the file, then the record, so a delete cut short is
     * finished by sending it again, and a job created meanwhile is refused by {@link #reserve}.
     *
     * @throws SluiceException 404 {@code dataset.not_found} (another project's dataset answers so too), 409
     *                         {@code dataset.in_use} naming the job that reads it
     */
    public void delete(String projectId, String id, Holders holders) {
        long now = clock.nowMillis();
        Dataset taken = catalog.update(projectId, Dataset.KIND, id, stored -> {
            if (stored.status().overview() == Dataset.State.Deleting) {
                return stored;
            }
            refuseWhileHeld(stored, holders, now);
            return stored.withStatus(new Dataset.Status(Dataset.State.Deleting, null, stored.status().itemCount(),
                    stored.status().sizeBytes(), stored.status().etag(), null), now);
        }).orElseThrow(() -> Dataset.KIND.notFound(id));
        objects.delete(taken.objectKey());
        catalog.delete(projectId, id);
    }

    private static void refuseWhileHeld(Dataset stored, Holders holders, long now) {
        if (stored.readers() == null) {
            return;
        }
        for (Dataset.Reader reader : stored.readers()) {
            if (holders.holds(reader, now)) {
                throw SluiceException.conflict("dataset.in_use", "dataset " + stored.id() + " is read by job "
                        + reader.jobId() + ", which has not ended; delete the dataset once it has (or cancel it)");
            }
        }
    }

    /** What the scheduler did to a dataset that was due. */
    public enum Swept { EXPIRED, ABANDONED, HELD, NOT_DUE }

    /**
     * The scheduler's look at a dataset that is due ({@link Dataset#sweepTime}): one still Uploading
     * {@link Dataset#UPLOAD_ABANDONED_AFTER} after its create is deleted (its file too, if one came late); one whose
     * expiryTime passed is moved to Expired by a conditional write (unless a job it recorded still holds it: then it
     * is left for a later sweep) and its file deleted. The record of an expired dataset stays (listed with
     * {@code showExpired=true}).
     */
    public Swept sweep(String projectId, String id, Holders holders) {
        // a file that came but was never looked at starts its validation now: that dataset is no longer Uploading
        catalog.get(projectId, Dataset.KIND, id).filter(d -> d.status().overview() == Dataset.State.Uploading)
                .ifPresent(d -> read(projectId, id));
        long now = clock.nowMillis();
        Swept[] what = {Swept.NOT_DUE};
        Optional<Dataset> after = catalog.update(projectId, Dataset.KIND, id, stored -> {
            Long due = stored.sweepTime();
            what[0] = Swept.NOT_DUE;
            if (due == null || due > now) {
                return stored;
            }
            if (stored.status().overview() == Dataset.State.Uploading) {
                what[0] = Swept.ABANDONED;
                return stored;
            }
            if (stored.readers() != null && stored.readers().stream().anyMatch(r -> holders.holds(r, now))) {
                what[0] = Swept.HELD;
                return stored;
            }
            what[0] = Swept.EXPIRED;
            return stored.withStatus(new Dataset.Status(Dataset.State.Expired, "dataset.expired: its expiryTime "
                    + java.time.Instant.ofEpochMilli(stored.expiryTime()) + " passed and its file was deleted",
                    stored.status().itemCount(), stored.status().sizeBytes(), stored.status().etag(), null), now)
                    .withReaders(null);
        });
        if (after.isEmpty()) {
            return Swept.NOT_DUE;
        }
        if (what[0] == Swept.ABANDONED || what[0] == Swept.EXPIRED) {
            objects.delete(after.get().objectKey());
        }
        if (what[0] == Swept.ABANDONED) {
            catalog.delete(projectId, id);
        }
        return what[0];
    }

    public Page<Dataset> list(String projectId, PageRequest page) {
        return list(projectId, page, dev.sluice.core.ListFilter.NONE);
    }

    /** A page of the project's datasets that the filter lists, newest first; the cursors are bound to the filter. */
    public Page<Dataset> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter) {
        return list(projectId, page, filter, false);
    }

    /**
     * The same; expired datasets ({@link Dataset#expiredAt}) are left out unless {@code showExpired}. The cursors are
     * bound to the filter and to {@code showExpired} (a cursor of the other listing is 400 {@code request.bad_cursor}).
     */
    public Page<Dataset> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter, boolean showExpired) {
        long now = clock.nowMillis();
        Page<Dataset> found = catalog.list(projectId, Dataset.KIND, page,
                d -> d.listedBy(filter) && (showExpired || !d.expiredAt(now)), filter.key() + (showExpired ? "~x" : ""));
        return new Page<>(found.data().stream().map(Dataset::shown).toList(), found.nextPage(), found.prevPage());
    }

    /** Counts the items of an uploaded dataset with the same line rules the fan-out uses. */
    public Dataset validate(String projectId, String id) {
        Dataset dataset = catalog.get(projectId, Dataset.KIND, id)
                .orElseThrow(() -> Dataset.KIND.notFound(id));
        if (dataset.status().overview() != Dataset.State.Validating) {
            return dataset;
        }
        String etag = dataset.status().etag();
        long count = 0;
        try (InputStream in = objects.open(dataset.objectKey(), 0, etag)) {
            NdjsonReader reader = new NdjsonReader(in, 0);
            while (reader.next() != null) {
                count++;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading dataset " + id, e);
        } catch (ObjectStore.ObjectChangedException e) {
            return fail(dataset, "dataset.changed: the file was replaced during validation; create a new dataset");
        }
        if (count == 0) {
            return fail(dataset, "dataset.empty: the file has no items; upload one JSON object per line");
        }
        Dataset.Status ready = new Dataset.Status(Dataset.State.Ready, null, count, dataset.status().sizeBytes(), etag, null);
        long now = clock.nowMillis();
        return settle(dataset, ready, now);
    }

    /**
     * A Ready dataset made of the given lines (by item index) of another dataset, for retries, redrives and sample
     * runs: source {@link Dataset.Source#copyFor} the job {@code jobId} that runs it. The copy is streamed twice from
     * the source file (pinned to its ETag): once to count its bytes, once into a streamed PutObject, so memory holds
     * one line whatever the dataset's size and the number of lines chosen.
     */
    public Dataset subset(String projectId, String sourceId, java.util.BitSet lines, String name, String jobId) {
        Dataset source = catalog.get(projectId, Dataset.KIND, sourceId)
                .orElseThrow(() -> Dataset.KIND.notFound(sourceId));
        long count = 0;
        long bytes = 0;
        try (SelectedLines copy = new SelectedLines(objects.open(source.objectKey(), 0, source.status().etag()), lines)) {
            byte[] line;
            while ((line = copy.nextLine()) != null) {
                count++;
                bytes += line.length;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading dataset " + sourceId, e);
        }
        long now = clock.nowMillis();
        String id = Ids.newId(Ids.DATASET, now);
        String key = Dataset.objectKey(projectId, id);
        objects.put(key, bytes, () -> new SelectedLines(objects.open(source.objectKey(), 0, source.status().etag()), lines),
                "application/x-ndjson");
        ObjectStore.ObjectInfo info = objects.head(key).orElseThrow();
        Dataset dataset = new Dataset(id, Dataset.OBJECT, name, projectId, Dataset.Source.copyFor(jobId),
                new Dataset.Status(Dataset.State.Ready, null, count, info.sizeBytes(), info.etag(), null), now, now,
                java.util.Map.of(), now + Dataset.DEFAULT_EXPIRY.toMillis(), null);
        catalog.put(projectId, id, dataset);
        return dataset;
    }

    /**
     * The chosen lines of an NDJSON file, each with its newline, read one at a time: a line that could not be read keeps
     * failing the same way, so it is kept as it was, for the record. The rest of the file past the last line chosen is
     * not read.
     */
    private static final class SelectedLines extends InputStream {
        private final InputStream file;
        private final NdjsonReader reader;
        private final java.util.BitSet lines;
        private final int end;
        private int index;
        private byte[] current = new byte[0];
        private int at;

        SelectedLines(InputStream file, java.util.BitSet lines) {
            this.file = file;
            this.reader = new NdjsonReader(file, 0);
            this.lines = lines;
            this.end = lines.length();
        }

        /** The next chosen line with its newline, or null after the last. */
        byte[] nextLine() throws IOException {
            NdjsonReader.Line line;
            while (index < end && (line = reader.next()) != null) {
                if (lines.get(index++)) {
                    String text = line.text() == null ? "{\"kind\":\"Unreadable\"}" : line.text();
                    return (text + "\n").getBytes(java.nio.charset.StandardCharsets.UTF_8);
                }
            }
            return null;
        }

        private boolean fill() throws IOException {
            while (at == current.length) {
                byte[] next = nextLine();
                if (next == null) {
                    return false;
                }
                current = next;
                at = 0;
            }
            return true;
        }

        @Override
        public int read() throws IOException {
            return fill() ? current[at++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            java.util.Objects.checkFromIndexSize(off, len, b.length);
            if (len == 0) {
                return 0;
            }
            if (!fill()) {
                return -1;
            }
            int n = Math.min(len, current.length - at);
            System.arraycopy(current, at, b, off, n);
            at += n;
            return n;
        }

        @Override
        public void close() throws IOException {
            file.close();
        }
    }

    /** Ends a validation that cannot finish (its message went to the dead-letter queue). */
    public void failValidation(String projectId, String id, String reason) {
        catalog.get(projectId, Dataset.KIND, id)
                .filter(d -> d.status().overview() == Dataset.State.Uploading || d.status().overview() == Dataset.State.Validating)
                .ifPresent(d -> fail(d, reason));
    }

    private Dataset fail(Dataset dataset, String reason) {
        return settle(dataset, new Dataset.Status(Dataset.State.Failed, reason, null,
                dataset.status().sizeBytes(), dataset.status().etag(), null), clock.nowMillis());
    }

    /** Ends a validation: only a dataset still Uploading or Validating with the same file (ETag) takes the status. */
    private Dataset settle(Dataset dataset, Dataset.Status status, long now) {
        return catalog.update(dataset.projectId(), Dataset.KIND, dataset.id(), stored ->
                (stored.status().overview() == Dataset.State.Validating || stored.status().overview() == Dataset.State.Uploading)
                        && java.util.Objects.equals(stored.status().etag(), dataset.status().etag())
                        ? stored.withStatus(status, now) : stored).orElseThrow(() -> Dataset.KIND.notFound(dataset.id()));
    }
}
