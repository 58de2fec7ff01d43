package dev.sluice.execution;


import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.channels.Channels;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;

/**
 * The files of users' folders: S3 buckets, or this machine's folders in local mode. A file is read where it is, from
 * any offset ({@link Source}: S3 ranged GETs), and an output is written as it is produced ({@link Upload}: an S3
 * multipart upload), so a file task holds neither whole.
 */
public interface FolderStore {
    /**
     * File names relative to the folder (subfolders included), each file's size in bytes (same order as names), and
     * the cursor of the next page (null at the end).
     */
    record Listing(List<String> names, List<Long> sizes, String cursor) {
        public Listing {
            if (names.size() != sizes.size()) {
                throw new IllegalArgumentException("a listing has one size per name");
            }
        }
    }

    Listing list(Folder folder, String cursor, int max);

    /**
     * A file to read where it is: its size (bytes) when opened, and its bytes from any offset. On S3 each read is a
     * ranged GetObject pinned to the ETag the file had when opened (If-Match), so a file replaced while it is read
     * fails with {@link ChangedException} instead of mixing two versions.
     */
    interface Source {
        long size();

        /** The bytes from offset (0 ≤ offset ≤ size) to the end; closing the stream early drops the rest unread. */
        InputStream from(long offset) throws IOException;

        /** A file of this machine (local mode, tests, tools). */
        static Source of(Path file) throws IOException {
            long size = java.nio.file.Files.size(file);
            return new Source() {
                @Override
                public long size() {
                    return size;
                }

                @Override
                public InputStream from(long offset) throws IOException {
                    FileChannel channel = FileChannel.open(file, StandardOpenOption.READ);
                    channel.position(offset);
                    return Channels.newInputStream(channel);
                }
            };
        }
    }

    /** The file changed (was replaced or deleted) while it was read. */
    class ChangedException extends IOException {
        public ChangedException(String message) {
            super(message);
        }
    }

    /**
     * The store could not give the bytes (network, throttling, a server error): not the file's fault, so the task is
     * retried (SQS redelivers it) rather than the file failed.
     */
    class UnavailableException extends IOException {
        public UnavailableException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Opens a file of the folder for reading (one metadata request on S3).
     *
     * @throws java.io.FileNotFoundException the file is gone (or, locally, is no longer a regular file)
     */
    Source open(Folder folder, String name) throws IOException;

    /**
     * An object being written: bytes written go out as they come (S3: parts of a multipart upload, each
     * {@link #PART_BYTES} but the last, https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html), and the
     * object appears under its name, whole, only on {@link #complete()}; {@link #abort()} (or a crash: S3 never shows
     * an incomplete upload) leaves no object and the previous object of that name as it was. Closing the stream does
     * neither: the caller completes or aborts. Not thread-safe.
     */
    abstract class Upload extends OutputStream {
        /** Makes the object appear whole under its name, replacing the previous one of that name. */
        public abstract void complete() throws IOException;

        /** Drops what was written; the object does not appear. Safe to call again, and after a failed complete. */
        public abstract void abort();

        @Override
        public void close() {
        }
    }

    /**
     * The size of the parts of an output: S3's least part size (5 MiB; a multipart upload holds at most 10,000
     * parts, so an output file holds at most ~48.8 GiB), which is also the bytes a file task buffers for its output.
     */
    int PART_BYTES = 5 * 1024 * 1024;

    /** Starts writing a file of the folder under the name (the folder is created as needed). */
    Upload create(Folder folder, String name, String contentType) throws IOException;

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
