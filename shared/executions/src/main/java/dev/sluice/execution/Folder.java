package dev.sluice.execution;

import dev.sluice.core.SluiceException;

import java.net.URI;

/**
 * Where an execution reads or writes files: an S3 bucket and a folder (key prefix, without a leading slash), or, in
 * local mode only, a folder of this machine ({@code file:///…}, bucket null).
 */
public record Folder(String bucket, String path) {
    /** Not a field of the API's folder ({@code docs/openapi.yaml}: bucket and path): said by bucket being null. */
    @com.fasterxml.jackson.annotation.JsonIgnore
    public boolean isLocal() {
        return bucket == null;
    }

    /** A file in this folder, by its name relative to the folder. */
    public String keyOf(String name) {
        return path.isEmpty() ? name : path + "/" + name;
    }

    public String uri() {
        return isLocal() ? "file://" + path : "s3://" + bucket + "/" + path;
    }

    /**
     * The folder named by a request: {@code file:///abs/path} (bucket must be absent), or a bucket and a folder
     * (leading and trailing slashes dropped; an empty folder is the bucket's root).
     */
    public static Folder of(String bucket, String folder, String field, boolean allowLocal) {
        if (folder != null && folder.startsWith("file:")) {
            if (!allowLocal) {
                throw SluiceException.invalid("execution.local_folder_refused",
                        field + ": file:// folders work only with `sluice local`; on AWS use an S3 bucket and folder");
            }
            if (bucket != null) {
                throw SluiceException.invalid("execution.bad_folder", field + ": a file:// folder takes no bucket");
            }
            String path;
            try {
                path = URI.create(folder).getPath();
            } catch (IllegalArgumentException e) {
                path = null;
            }
            if (path == null || !path.startsWith("/")) {
                throw SluiceException.invalid("execution.bad_folder", field + " must be file:///absolute/path");
            }
            return new Folder(null, path.length() > 1 && path.endsWith("/") ? path.substring(0, path.length() - 1) : path);
        }
        if (bucket == null || !bucket.matches("[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")) {
            throw SluiceException.invalid("execution.bad_bucket", field + " needs an S3 bucket name (3-63 characters,"
                    + " lower case letters, digits, dots and hyphens)");
        }
        String p = folder == null ? "" : folder.trim();
        while (p.startsWith("/")) {
            p = p.substring(1);
        }
        while (p.endsWith("/")) {
            p = p.substring(0, p.length() - 1);
        }
        // a "." segment names the same object for a client or server that normalizes paths as dot segments (RFC 3986
        // 5.2.4): "./proj_a/out" would pass the check of another project's folder (ProjectFolders) and be written to
        // proj_a/out by such a server; S3 keeps it literally, so it is never a folder a user means
        if (p.length() > 900 || p.contains("//") || p.contains("..") || ("/" + p + "/").contains("/./")) {
            throw SluiceException.invalid("execution.bad_folder", field + " must be a folder path (no \".\" or \"..\""
                    + " segment, no \"//\")");
        }
        return new Folder(bucket, p);
    }
}
