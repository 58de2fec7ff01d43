package dev.sluice.core.pipeline;

/** A dataset line that parsed: identity (job, line index), the user's optional correlation id, kind and URL. */
public record Item(long index, String id, String kind, String url) {
    public static final String IMAGE = "Image";
}
