package dev.sluice.core.pipeline;

/**
 * A message of the fanout queue: validate an uploaded dataset, or fan a job's dataset out from a byte offset
 * (a continuation carries the offset and line index where the previous invocation stopped).
 */
public record FanoutMessage(String type, String projectId, String datasetId, String jobId, Long offset,
                            Long lineIndex) implements QueueMessage {
    public static final String VALIDATE_DATASET = "ValidateDataset";
    public static final String FAN_OUT = "FanOut";

    @Override
    public MessageKind kind() {
        return MessageKind.FANOUT;
    }

    public static FanoutMessage validate(String projectId, String datasetId) {
        return new FanoutMessage(VALIDATE_DATASET, projectId, datasetId, null, null, null);
    }

    public static FanoutMessage fanOut(String jobId, long offset, long lineIndex) {
        return new FanoutMessage(FAN_OUT, null, null, jobId, offset, lineIndex);
    }
}
