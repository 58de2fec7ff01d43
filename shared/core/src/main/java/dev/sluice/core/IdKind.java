package dev.sluice.core;

/**
 * What an id names: its prefix ({@code webhook} in {@code webhook_…}), the {@code object} name its stored record
 * carries, the noun errors use, and the record's class. Records of several kinds share the catalog table (datasets,
 * models, webhooks, deployments, dead letters, API keys, executions; keyed by project and id), so a read checks both
 * the id's prefix (before any request) and the stored record's {@code object}: an id of one kind never reads, changes
 * or deletes a record of another kind (issue 14: {@code DELETE /batch/webhooks/{apikey_id}} removed an API key's record).
 *
 * @param <T> the record's class
 */
public record IdKind<T>(String prefix, String object, String noun, Class<T> type) {
    /** Whether the id has this kind's prefix (and the characters of an id). */
    public boolean names(String id) {
        return Ids.hasPrefix(id, prefix);
    }

    /** The 404 for an id that does not name a record of this kind in the project: code {@code <noun_>.not_found}. */
    public SluiceException notFound(String id) {
        return new SluiceException(SluiceException.Kind.NOT_FOUND, noun.replace(' ', '_') + ".not_found",
                noun + " " + id + " does not exist in this project");
    }
}
