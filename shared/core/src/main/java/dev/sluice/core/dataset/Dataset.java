package dev.sluice.core.dataset;

import dev.sluice.core.port.ObjectStore.UploadUrl;

/**
 * An NDJSON list of items uploaded through a presigned URL, counted once uploaded.
 *
 * @param expiryTime when the dataset expires, epoch milliseconds (default {@link #DEFAULT_EXPIRY} after creation):
 *                   from then on it is no longer listed (unless {@code showExpired=true}), no new job may read it and
 *                   the scheduler deletes its file and marks it {@link State#Expired}; null on datasets created before
 *                   expiry existed (they never expire)
 * @param readers    the jobs that were created on the dataset, with when each was, stored and never returned by the
 *                   API (null there): what makes a delete or an expiry refuse while a job has not ended, without a
 *                   race (see {@link DatasetService#reserve})
 */
public record Dataset(String id, String object, String name, String projectId, Source source, Status status,
                      long createTime, long updateTime, java.util.Map<String, String> metadata, Long expiryTime,
                      java.util.List<Reader> readers) implements dev.sluice.core.port.Catalog.Swept {
    /** A dataset expires this long after it is created unless its create names an {@code expiryTime}. */
    public static final java.time.Duration DEFAULT_EXPIRY = java.time.Duration.ofDays(30);
    /** The latest {@code expiryTime} a create may name, after the create. */
    public static final java.time.Duration MAX_EXPIRY = java.time.Duration.ofDays(365);
    /** A dataset (or model) still Uploading this long after it was created is deleted by the scheduler. */
    public static final java.time.Duration UPLOAD_ABANDONED_AFTER = java.time.Duration.ofHours(24);

    public Dataset {
        metadata = dev.sluice.core.Metadata.stored(metadata);
        readers = readers == null || readers.isEmpty() ? null : java.util.List.copyOf(readers);
    }

    /** A dataset without expiry or readers (one stored before expiry existed, or built by a test). */
    public Dataset(String id, String object, String name, String projectId, Source source, Status status,
                   long createTime, long updateTime, java.util.Map<String, String> metadata) {
        this(id, object, name, projectId, source, status, createTime, updateTime, metadata, null, null);
    }

    /** A dataset without metadata. */
    public Dataset(String id, String object, String name, String projectId, Source source, Status status,
                   long createTime, long updateTime) {
        this(id, object, name, projectId, source, status, createTime, updateTime, java.util.Map.of());
    }

    /** A job created on the dataset at {@code since} (epoch ms). */
    public record Reader(String jobId, long since) {
    }

    /** Whether the listing filter lists this dataset. */
    public boolean listedBy(dev.sluice.core.ListFilter filter) {
        return filter.matches(status.overview(), name, metadata, createTime);
    }

    /** Whether the dataset has expired at {@code now} (epoch ms): its expiryTime passed, or the sweep marked it. */
    public boolean expiredAt(long now) {
        return status.overview() == State.Expired || expiryTime != null && now >= expiryTime;
    }

    /**
     * When the scheduler must look at the dataset (epoch ms): {@link #UPLOAD_ABANDONED_AFTER} after creation while
     * Uploading, at its expiryTime while it still has a file; null once Deleting or Expired.
     */
    @Override
    public Long sweepTime() {
        return switch (status.overview()) {
            case Uploading -> createTime + UPLOAD_ABANDONED_AFTER.toMillis();
            case Deleting, Expired -> null;
            default -> expiryTime;
        };
    }

    /** The dataset as the API shows it: without its readers. */
    public Dataset shown() {
        return readers == null ? this : new Dataset(id, object, name, projectId, source, status, createTime, updateTime,
                metadata, expiryTime, null);
    }

    public Dataset withReaders(java.util.List<Reader> newReaders) {
        return new Dataset(id, object, name, projectId, source, status, createTime, updateTime, metadata, expiryTime,
                newReaders);
    }

    public static final String OBJECT = "dataset";
    /** Ids of this kind, and the records they name. */
    public static final dev.sluice.core.IdKind<Dataset> KIND = new dev.sluice.core.IdKind<>(dev.sluice.core.Ids.DATASET, OBJECT, "dataset",
            Dataset.class);

    /**
     * Deleting: a delete took it (its file is being removed; no job may start on it). Expired: its expiryTime passed
     * and the scheduler deleted its file; the record stays, listed with {@code showExpired=true}.
     */
    public enum State { Uploading, Validating, Ready, Failed, Deleting, Expired }

    /**
     * Where the dataset's lines came from: {@value #UPLOADED_NDJSON} (the user's upload), or {@value #JOB_COPY} (the
     * lines a sample run or a retry copied for the job {@code jobId}; deleting that job deletes the copy).
     */
    public record Source(String kind, String jobId) {
        public static final String UPLOADED_NDJSON = "UploadedNdjson";
        public static final String JOB_COPY = "JobCopy";

        public Source(String kind) {
            this(kind, null);
        }

        /** The copy made for this job. */
        public static Source copyFor(String jobId) {
            return new Source(JOB_COPY, jobId);
        }

        /** Whether this is the copy made for that job. */
        public boolean isCopyFor(String job) {
            return JOB_COPY.equals(kind) && job.equals(jobId);
        }
    }

    public record Status(State overview, String reason, Long itemCount, Long sizeBytes, String etag,
                         UploadStatus source) {
    }

    public record UploadStatus(UploadUrl uploadUrl) {
    }

    public String objectKey() {
        return objectKey(projectId, id);
    }

    public static String objectKey(String projectId, String datasetId) {
        return dev.sluice.core.ObjectKeys.dataset(projectId, datasetId);
    }

    public Dataset withStatus(Status newStatus, long now) {
        return new Dataset(id, object, name, projectId, source, newStatus, createTime, now, metadata, expiryTime, readers);
    }
}
