package dev.sluice.core.deadletter;

import java.util.List;

/**
 * A message that failed maxReceiveCount times and reached its queue's DLQ, as the scheduler found it there: which
 * job and stage it belonged to, the dataset lines it held (or, for a fan-out, the line it started from), what was
 * done about them, and the job that re-ran them, once redriven.
 *
 * @param queue     the queue the message died on: FANOUT, INFERENCE, INFERENCE_GPU or DELIVERY
 * @param lines     the dataset lines of the job that the message held and that it failed (null for a fan-out)
 * @param fromLine  for a fan-out, the first line it had not sent
 * @param redriveJobId the job created by a redrive, over exactly these lines
 */
public record DeadLetter(String id, String object, String projectId, String jobId, String queue, String batchId,
                         String messageId, List<Long> lines, Long fromLine, String reason, long createTime,
                         String redriveJobId) {
    public static final String OBJECT = "dead_letter";
    public static final String PREFIX = "dlq";
    /** Ids of this kind, and the records they name. */
    public static final dev.sluice.core.IdKind<DeadLetter> KIND = new dev.sluice.core.IdKind<>(PREFIX, OBJECT, "dead letter",
            DeadLetter.class);

    public DeadLetter redrivenBy(String jobId) {
        return new DeadLetter(id, object, projectId, this.jobId, queue, batchId, messageId, lines, fromLine, reason,
                createTime, jobId);
    }
}
