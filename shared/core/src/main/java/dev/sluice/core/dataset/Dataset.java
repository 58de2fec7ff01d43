package dev.sluice.core.dataset;

import dev.sluice.core.port.ObjectStore.UploadUrl;

/** An NDJSON list of items uploaded through a presigned URL, counted once uploaded. */
public record Dataset(String id, String object, String name, String projectId, Source source, Status status,
                      long createTime, long updateTime, java.util.Map<String, String> metadata) {
    public Dataset {
        metadata = dev.sluice.core.Metadata.stored(metadata);
    }

    /** A dataset without metadata. */
    public Dataset(String id, String object, String name, String projectId, Source source, Status status,
                   long createTime, long updateTime) {
        this(id, object, name, projectId, source, status, createTime, updateTime, java.util.Map.of());
    }

    /** Whether the listing filter lists this dataset. */
    public boolean listedBy(dev.sluice.core.ListFilter filter) {
        return filter.matches(status.overview(), name, metadata, createTime);
    }

    public static final String OBJECT = "dataset";
    /** Ids of this kind, and the records they name. */
    public static final dev.sluice.core.IdKind<Dataset> KIND = new dev.sluice.core.IdKind<>(dev.sluice.core.Ids.DATASET, OBJECT, "dataset",
            Dataset.class);

    public enum State { Uploading, Validating, Ready, Failed }

    public record Source(String kind) {
        public static final String UPLOADED_NDJSON = "UploadedNdjson";
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
        return new Dataset(id, object, name, projectId, source, newStatus, createTime, now, metadata);
    }
}
