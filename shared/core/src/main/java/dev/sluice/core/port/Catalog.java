package dev.sluice.core.port;

import dev.sluice.core.IdKind;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;

import java.util.Optional;

/**
 * Project-scoped documents of several kinds in one table: datasets, models, webhooks, deployments, dead letters and
 * API keys. A read names the kind it expects and finds nothing for an id of another kind (see {@link IdKind}).
 */
public interface Catalog {
    void put(String projectId, String id, Object document);

    /**
     * Stores the document only when the project has no record with this id (one conditional write): false when one
     * exists, which is left as it is. Concurrent creates of one id store exactly one document.
     */
    boolean create(String projectId, String id, Object document);

    /**
     * The project's record of this kind with this id; empty when there is none, when the id has another kind's prefix
     * (nothing is read then) or when the stored record's {@code object} is not the kind's.
     */
    <T> Optional<T> get(String projectId, IdKind<T> kind, String id);

    void delete(String projectId, String id);

    /**
     * Read-modify-write without a lost update: reads the record, applies {@code change} and stores the result only if
     * the stored record is still the one read (a conditional write); when another writer came first, reads again and
     * applies {@code change} to that (CONVENTIONS: "State changes are conditional writes, never read-then-put"; issue
     * 20 item 6). {@code change} may run more than once, so it only computes; it returns its argument itself to
     * write nothing, and may throw to refuse.
     *
     * @return the record as stored after the change; empty when there is none (or it was deleted meanwhile: an update
     *         never brings a deleted record back)
     * @throws dev.sluice.core.SluiceException 409 {@code request.conflict} when writers kept coming first (50 rounds)
     */
    <T> Optional<T> update(String projectId, IdKind<T> kind, String id, java.util.function.UnaryOperator<T> change);

    /** The project's records of this kind, in id (creation) order. */
    default <T> Page<T> list(String projectId, IdKind<T> kind, PageRequest page) {
        return list(projectId, kind, page, t -> true, "");
    }

    /**
     * The project's records of this kind that {@code keep} accepts, in id (creation) order; memory holds one page.
     *
     * @param filterKey binds the page's cursors to the filter ({@code ListFilter.key()}): a cursor of another filter
     *                  is 400 {@code request.bad_cursor}; empty for no filter
     */
    <T> Page<T> list(String projectId, IdKind<T> kind, PageRequest page, java.util.function.Predicate<T> keep,
                     String filterKey);

    /**
     * A record the scheduler looks at once a time has come (a dataset's expiry, an upload abandoned after 24 h): the
     * store keeps {@link #sweepTime} beside the document, in an index across projects, so the sweep reads only the
     * records that are due, never a scan of every project.
     */
    interface Swept {
        /** When the scheduler must look at the record, epoch milliseconds; null: never (again). */
        Long sweepTime();
    }

    /** A record that is due: its project and id. */
    record Due(String projectId, String id) {
    }

    /**
     * The records of every project whose {@link Swept#sweepTime} is at or before {@code now}, earliest first, at most
     * {@code max}. A record drops out once a write gives it a later sweep time, or none.
     */
    java.util.List<Due> due(long now, int max);
}
