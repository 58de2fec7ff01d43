package dev.sluice.execution;


import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/** The files of users' folders: S3 buckets, or this machine's folders in local mode. */
public interface FolderStore {
    /** File names relative to the folder (subfolders included), and the cursor of the next page (null at the end). */
    record Listing(List<String> names, String cursor) {
    }

    Listing list(Folder folder, String cursor, int max);

    /** Copies a file of the folder to a local file; refuses a file larger than maxBytes. */
    void download(Folder folder, String name, Path to, long maxBytes) throws IOException;

    class FileTooLargeException extends IOException {
        public FileTooLargeException(String name, long size, long maxBytes) {
            super(name + " is " + size + " bytes, over the limit of " + maxBytes + " bytes; split it into smaller files");
        }
    }

    /** Writes a local file into the folder under the name, replacing a file of that name; creates the folder. */
    void upload(Folder folder, String name, Path from, String contentType) throws IOException;

    /**
     * The same folders reached with an access key instead of the functions' own role (an execution that names stored
     * secrets); local folders need none.
     */
    FolderStore withCredentials(String accessKeyId, String secretAccessKey);

    /**
     * The same folders reached with the temporary credentials of a customer's role (an execution that names
     * {@code iamRoleArn}): every list, read and write is signed with them. The role is assumed here (so a refusal is
     * known at once), the credentials are kept per session and refreshed before they expire.
     *
     * @throws FileProblem {@code execution.role_not_assumable} when STS refuses the role (here, or on a later call
     *                     whose refresh it refuses)
     */
    FolderStore withRole(RoleSession session);
}
