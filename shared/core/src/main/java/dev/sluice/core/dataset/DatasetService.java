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

    /** metadata: up to 16 string pairs, see {@link dev.sluice.core.Metadata#check}. */
    public record CreateRequest(String name, Dataset.Source source, java.util.Map<String, String> metadata) {
        public CreateRequest(String name, Dataset.Source source) {
            this(name, source, null);
        }
    }

    public Dataset create(String projectId, CreateRequest request) {
        Validation.required(request, "dataset.body_required", "send a JSON body {name, source:{kind:\"UploadedNdjson\"}}");
        Validation.name(request.name(), "dataset");
        Validation.check(request.source() != null && Dataset.Source.UPLOADED_NDJSON.equals(request.source().kind()),
                "dataset.bad_source", "source.kind must be \"UploadedNdjson\"");
        java.util.Map<String, String> metadata = dev.sluice.core.Metadata.check(request.metadata());
        long now = clock.nowMillis();
        String id = Ids.newId(Ids.DATASET, now);
        ObjectStore.UploadUrl url = objects.presignPut(Dataset.objectKey(projectId, id), "application/x-ndjson",
                UPLOAD_URL_TTL);
        Dataset dataset = new Dataset(id, Dataset.OBJECT, request.name(), projectId, request.source(),
                new Dataset.Status(Dataset.State.Uploading, null, null, null, null, new Dataset.UploadStatus(url)),
                now, now, metadata);
        catalog.put(projectId, id, dataset);
        return dataset;
    }

    /** The dataset; an upload that has arrived since the last look starts its validation. */
    public Dataset get(String projectId, String id) {
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
     * Deletes a dataset of the project and its file (issue 24 item 6): the file first, then the record, so a delete cut
     * short is finished by sending it again.
     *
     * @param readers the job of the project that has not ended and reads the dataset, if any
     * @throws SluiceException 404 {@code dataset.not_found} (another project's dataset answers so too), 409
     *                         {@code dataset.in_use} naming the job that reads it
     */
    public void delete(String projectId, String id, java.util.function.BiFunction<String, String, Optional<String>> readers) {
        Dataset dataset = catalog.get(projectId, Dataset.KIND, id).orElseThrow(() -> Dataset.KIND.notFound(id));
        Optional<String> reader = readers.apply(projectId, id);
        if (reader.isPresent()) {
            throw SluiceException.conflict("dataset.in_use", "dataset " + id + " is read by job " + reader.get()
                    + ", which has not ended; delete the dataset once it has (or cancel it)");
        }
        objects.delete(dataset.objectKey());
        catalog.delete(projectId, id);
    }

    public Page<Dataset> list(String projectId, PageRequest page) {
        return list(projectId, page, dev.sluice.core.ListFilter.NONE);
    }

    /** A page of the project's datasets that the filter lists, newest first; the cursors are bound to the filter. */
    public Page<Dataset> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter) {
        return catalog.list(projectId, Dataset.KIND, page, d -> d.listedBy(filter), filter.key());
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

    /** A Ready dataset made of the given lines (by item index) of another dataset, for retries. */
    public Dataset subset(String projectId, String sourceId, java.util.BitSet lines, String name) {
        Dataset source = catalog.get(projectId, Dataset.KIND, sourceId)
                .orElseThrow(() -> Dataset.KIND.notFound(sourceId));
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        long count = 0;
        try (InputStream in = objects.open(source.objectKey(), 0, source.status().etag())) {
            NdjsonReader reader = new NdjsonReader(in, 0);
            NdjsonReader.Line line;
            int index = 0;
            int end = lines.length(); // past the last line wanted: the rest of the file is not read
            while (index < end && (line = reader.next()) != null) {
                if (lines.get(index++)) {
                    // a line that could not be read keeps failing the same way: it is kept, as it was, for the record
                    out.write((line.text() == null ? "{\"kind\":\"Unreadable\"}" : line.text()).getBytes(java.nio.charset.StandardCharsets.UTF_8));
                    out.write('\n');
                    count++;
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading dataset " + sourceId, e);
        }
        long now = clock.nowMillis();
        String id = Ids.newId(Ids.DATASET, now);
        String key = Dataset.objectKey(projectId, id);
        objects.put(key, out.toByteArray(), "application/x-ndjson");
        ObjectStore.ObjectInfo info = objects.head(key).orElseThrow();
        Dataset dataset = new Dataset(id, Dataset.OBJECT, name, projectId, new Dataset.Source(Dataset.Source.UPLOADED_NDJSON),
                new Dataset.Status(Dataset.State.Ready, null, count, info.sizeBytes(), info.etag(), null), now, now);
        catalog.put(projectId, id, dataset);
        return dataset;
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
