package dev.sluice.execution;

import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A storage-based execution: every file of a source folder that matches the input type becomes one task; each task
 * writes one output file with the same base name to the destination folder.
 */
public record Execution(String id, String object, String projectId, Spec spec, Status status, long createTime,
                        long updateTime, Map<String, String> metadata) {
    public Execution {
        metadata = dev.sluice.core.Metadata.stored(metadata);
    }

    /** An execution without metadata. */
    public Execution(String id, String object, String projectId, Spec spec, Status status, long createTime,
                     long updateTime) {
        this(id, object, projectId, spec, status, createTime, updateTime, Map.of());
    }

    /** Whether the listing filter lists this execution (executions have no name: a name prefix lists none). */
    public boolean listedBy(dev.sluice.core.ListFilter filter) {
        return filter.matches(status.overview(), null, metadata, createTime);
    }

    public static final String OBJECT = "execution";
    /** The reason of an execution ended by its error budget (Failed, outcome Stopped), as jobs' job.error_budget_exceeded. */
    public static final String BUDGET_EXCEEDED = "execution.error_budget_exceeded";
    /** Ids of this kind, and the records they name. */
    public static final dev.sluice.core.IdKind<Execution> KIND = new dev.sluice.core.IdKind<>(dev.sluice.core.Ids.EXECUTION, OBJECT, "execution",
            Execution.class);

    public enum State {
        Pending, Running, Finished, Failed, Cancelled, TimedOut;

        public static final Set<State> ACTIVE = EnumSet.of(Pending, Running);

        public boolean isTerminal() {
            return !ACTIVE.contains(this);
        }
    }

    /**
     * What was asked, normalised. modelBuild: the model file's checksum the execution runs (the model's current one
     * when the request named none). jobTimeout and fileTimeout in seconds, 0 = none. parameters: how rows become
     * model inputs (see {@link RowMapping}). accessTokenName/accessSecretName: names of stored secrets, never values.
     * iamRoleArn: the customer's role the folders are reached with ({@link RoleSession}), or null. limitFiles: only
     * the first N matching files in listing order (null: all). maxFailedFiles, maxFailedRowRate: the error budget
     * ({@link #budgetExceeded}), null when off. compute: where the files run ({@link Compute}); its tasks is
     * parallelism (a spec stored before compute existed reads as Lambda).
     */
    public record Spec(String modelId, String modelBuild, Folder source, Folder destination, FileType inputFileType,
                       FileType outputFileType, long jobTimeout, long fileTimeout, int parallelism,
                       Map<String, String> parameters, String accessTokenName, String accessSecretName,
                       String iamRoleArn, Long limitFiles, Long maxFailedFiles, Double maxFailedRowRate,
                       Compute compute) {
        public Spec {
            if (compute == null) {
                compute = new Compute(Compute.Target.Lambda, null, Compute.PurchaseOption.onDemand, parallelism);
            }
        }

        /**
         * The reason an execution with this status has exceeded its error budget, or null while it has not (issue 24
         * item 2): more than {@code maxFailedFiles} files failed, or more than {@code maxFailedRowRate} of the rows of
         * the settled files failed (rows counted by the files that finished: failedRows / rows).
         */
        public String budgetExceeded(Status status) {
            if (maxFailedFiles != null && status.failedFiles() > maxFailedFiles) {
                return BUDGET_EXCEEDED + ": " + status.failedFiles() + " files failed, more than maxFailedFiles "
                        + maxFailedFiles + "; files not yet run are skipped";
            }
            if (maxFailedRowRate != null && status.rows() > 0 && status.failedRows() > maxFailedRowRate * status.rows()) {
                return BUDGET_EXCEEDED + ": " + status.failedRows() + " of " + status.rows() + " rows failed, more"
                        + " than maxFailedRowRate " + maxFailedRowRate + "; files not yet run are skipped";
            }
            return null;
        }

        /** A spec on Lambda, without a role, limit or error budget. */
        public Spec(String modelId, String modelBuild, Folder source, Folder destination, FileType inputFileType,
                    FileType outputFileType, long jobTimeout, long fileTimeout, int parallelism,
                    Map<String, String> parameters, String accessTokenName, String accessSecretName) {
            this(modelId, modelBuild, source, destination, inputFileType, outputFileType, jobTimeout, fileTimeout,
                    parallelism, parameters, accessTokenName, accessSecretName, null, null, null, null, null);
        }

        /** The identical-execution guard's key: model, build, source and destination. */
        public String identity() {
            return String.join("\n", modelId, modelBuild, source.uri(), destination.uri());
        }
    }

    /**
     * finishedFiles + failedFiles + skippedFiles == totalFiles once the execution is terminal (and listed).
     * hiddenFiles: files of the source folder not taken as input because they are hidden or markers
     * ({@link FileType#isHidden}); null until listed.
     */
    /** usage: what the execution used so far and its estimated cost; null where unknown. */
    public record Status(State overview, String reason, Long totalFiles, long finishedFiles, long failedFiles,
                         long skippedFiles, Long startTime, Long endTime, Long hiddenFiles, long rows, long failedRows,
                         dev.sluice.core.usage.UsageReport usage) {
        /** A status without row counters or usage. */
        public Status(State overview, String reason, Long totalFiles, long finishedFiles, long failedFiles,
                      long skippedFiles, Long startTime, Long endTime, Long hiddenFiles) {
            this(overview, reason, totalFiles, finishedFiles, failedFiles, skippedFiles, startTime, endTime, hiddenFiles,
                    0, 0, null);
        }

        /** A status with usage, without row counters. */
        public Status(State overview, String reason, Long totalFiles, long finishedFiles, long failedFiles,
                      long skippedFiles, Long startTime, Long endTime, Long hiddenFiles,
                      dev.sluice.core.usage.UsageReport usage) {
            this(overview, reason, totalFiles, finishedFiles, failedFiles, skippedFiles, startTime, endTime, hiddenFiles,
                    0, 0, usage);
        }

        /** A status with row counters, without usage. */
        public Status(State overview, String reason, Long totalFiles, long finishedFiles, long failedFiles,
                      long skippedFiles, Long startTime, Long endTime, Long hiddenFiles, long rows, long failedRows) {
            this(overview, reason, totalFiles, finishedFiles, failedFiles, skippedFiles, startTime, endTime, hiddenFiles,
                    rows, failedRows, null);
        }

        public Status(State overview, String reason, Long totalFiles, long finishedFiles, long failedFiles,
                      long skippedFiles, Long startTime, Long endTime) {
            this(overview, reason, totalFiles, finishedFiles, failedFiles, skippedFiles, startTime, endTime, null);
        }


        /**
         * {@code status.outcome} once the execution ended (null while it runs): Stopped when cancelled or timed out or
         * its error budget was exceeded, Failed when it failed, else by files finished of totalFiles.
         */
        @com.fasterxml.jackson.annotation.JsonProperty("outcome")
        public dev.sluice.core.Outcome outcome() {
            if (overview == null || State.ACTIVE.contains(overview)) {
                return null;
            }
            return switch (overview) {
                case Cancelled, TimedOut -> dev.sluice.core.Outcome.Stopped;
                case Failed -> reason != null && reason.startsWith(BUDGET_EXCEEDED) ? dev.sluice.core.Outcome.Stopped
                        : dev.sluice.core.Outcome.Failed;
                default -> dev.sluice.core.Outcome.ofCounts(finishedFiles,
                        totalFiles == null ? finishedFiles + failedFiles + skippedFiles : totalFiles);
            };
        }
    }

    /** One file of the execution and what became of it (the per-file report); startTime and timeMs: its last run. */
    public record FileReport(long index, String file, String output, FileState status, Long rows, Long failedRows,
                             Long startTime, Double timeMs, String reason) {
    }

    public enum FileState { Pending, Finished, Failed, Skipped }

    /** A page of the report: the files in listing order; nextPage continues it. */
    public record Report(Execution execution, List<FileReport> files, String nextPage) {
    }
}
