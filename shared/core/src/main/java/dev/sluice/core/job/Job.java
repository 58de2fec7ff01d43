package dev.sluice.core.job;

public record Job(String id, String object, String name, String projectId, JobSpec spec, Status status,
                  long createTime, long updateTime) {
    public static final String OBJECT = "batch_job";

    public record Status(JobState overview, String message, String reason, ItemCounters items, long itemCount,
                         long updateTime) {
    }
}
