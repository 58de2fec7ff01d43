package dev.sluice.core.job;

import dev.sluice.core.Clock;
import dev.sluice.core.IdKind;
import dev.sluice.core.port.Catalog;

import java.util.Optional;

/**
 * The measured throughput of a deployment (or, for jobs that name a model, of the model on its target), recorded from
 * every job that finishes (one catalog write per finished job, when the job's conditional move to Finished applied),
 * and read by a dry run's estimate ({@link JobEstimate#fromHistory}). Stored in the catalog under the project, never
 * shown by the API as a record of its own.
 *
 * @param id      {@code throughput_<deploymentId or modelId>}
 * @param subject the deployment's id, or the model's for a job without a deployment
 * @param items   items the measured jobs ran to a terminal state
 * @param seconds the time those jobs ran, from the fan-out's start to the last item, seconds (summed)
 * @param jobs    how many finished jobs were measured
 */
public record Throughput(String id, String object, String projectId, String subject, long items, double seconds,
                         long jobs, long updateTime) {
    public static final String OBJECT = "throughput";
    public static final IdKind<Throughput> KIND = new IdKind<>(OBJECT, OBJECT, "throughput", Throughput.class);

    /** Items per second of a whole job (all its workers), weighted by items across the measured jobs. */
    public double itemsPerSecond() {
        return seconds <= 0 ? 0 : items / seconds;
    }

    /** What the measurement is of: the job's deployment, else its model. */
    public static String subjectOf(JobSpec spec) {
        if (spec == null || spec.deployment() == null) {
            return null;
        }
        return spec.deployment().deploymentId() != null ? spec.deployment().deploymentId() : spec.deployment().modelId();
    }

    /** Reads and records throughput in the catalog. */
    public static final class History {
        /** Records nothing, finds nothing. */
        public static final History NONE = new History(null, null);

        private final Catalog catalog;
        private final Clock clock;

        public History(Catalog catalog, Clock clock) {
            this.catalog = catalog;
            this.clock = clock;
        }

        /** The measured throughput of the subject in the project, if a job of it finished. */
        public Optional<Throughput> of(String projectId, String subject) {
            if (catalog == null || subject == null) {
                return Optional.empty();
            }
            return catalog.get(projectId, KIND, OBJECT + "_" + subject).filter(t -> t.items() > 0 && t.seconds() > 0);
        }

        /**
         * Adds a finished job's items and running time to its subject's record (a conditional update; the first job
         * writes the record). A job that ran no item, or whose rate is unknown, adds nothing.
         */
        public void record(Job job) {
            String subject = subjectOf(job.spec());
            Job.Progress p = job.status().progress();
            long items = job.status().items() == null ? 0 : job.status().items().terminal();
            if (catalog == null || subject == null || p == null || p.itemsPerSecond() == null
                    || p.itemsPerSecond() <= 0 || items <= 0) {
                return;
            }
            double seconds = items / p.itemsPerSecond();
            long now = clock.nowMillis();
            String id = OBJECT + "_" + subject;
            Optional<Throughput> updated = catalog.update(job.projectId(), KIND, id, t -> new Throughput(id, OBJECT,
                    t.projectId(), subject, t.items() + items, t.seconds() + seconds, t.jobs() + 1, now));
            if (updated.isEmpty()) {
                // the first measurement; two first ones at once keep one of them, which is still a measurement
                catalog.put(job.projectId(), id, new Throughput(id, OBJECT, job.projectId(), subject, items, seconds, 1, now));
            }
        }
    }
}
