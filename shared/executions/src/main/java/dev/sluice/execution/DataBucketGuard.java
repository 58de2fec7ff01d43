package dev.sluice.execution;

import java.io.IOException;

/**
 * Users' folders with the service's data bucket (every project's datasets, models, results parts, manifests and
 * delivery payloads) closed on every call, whatever credentials sign it: listing, reading and writing a folder of the
 * data bucket throws {@link FileProblem} {@code execution.bucket_refused} before any request (issue 20, item 2).
 * Credentials do not open it: with the functions' role every project would reach every other's objects, and an access
 * key the user stores may belong to the deployment's own account.
 */
final class DataBucketGuard implements FolderStore {
    private final FolderStore folders;
    private final String dataBucket;

    DataBucketGuard(FolderStore folders, String dataBucket) {
        this.folders = folders;
        this.dataBucket = dataBucket;
    }

    /** Throws {@code execution.bucket_refused} when the folder is in the data bucket. */
    static void check(Folder folder, String dataBucket) {
        if (!folder.isLocal() && folder.bucket().equals(dataBucket)) {
            throw new FileProblem("execution.bucket_refused", refusal(folder.bucket()));
        }
    }

    static String refusal(String bucket) {
        return "bucket " + bucket + " is not one executions may reach with the service's role; the operator"
                + " allows buckets by name (SLUICE_EXECUTION_BUCKETS; CDK executionBuckets, SAM ExecutionBuckets), or name"
                + " stored credentials of your own (accessTokenName, accessSecretName) for a bucket of yours other than"
                + " the service's data bucket";
    }

    @Override
    public Listing list(Folder folder, String cursor, int max) {
        check(folder, dataBucket);
        return folders.list(folder, cursor, max);
    }

    @Override
    public Source open(Folder folder, String name) throws IOException {
        check(folder, dataBucket);
        return folders.open(folder, name);
    }

    @Override
    public Upload create(Folder folder, String name, String contentType) throws IOException {
        check(folder, dataBucket);
        return folders.create(folder, name, contentType);
    }

    @Override
    public FolderStore withCredentials(String accessKeyId, String secretAccessKey) {
        return new DataBucketGuard(folders.withCredentials(accessKeyId, secretAccessKey), dataBucket);
    }

    @Override
    public FolderStore withRole(RoleSession session) {
        return new DataBucketGuard(folders.withRole(session), dataBucket);
    }
}
