package dev.sluice.aws;

import dev.sluice.execution.Folder;
import dev.sluice.execution.FolderStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Users' folders for executions: S3 (ListObjectsV2 pages; HeadObject, then ranged GetObjects pinned to its ETag;
 * multipart uploads) with the function's role or an execution's key, and in local mode this machine's folders, read and written where they are.
 */
public final class UserFolders implements FolderStore {
    private final S3Client s3;
    private final AssumedRoles roles;
    /** How each request is signed: with the client's own credentials, an execution's stored access key or role. */
    private final java.util.function.Consumer<AwsRequestOverrideConfiguration.Builder> signing;
    /** Runs before each request: resolves an assumed role's credentials (a refusal fails with a code), else nothing. */
    private final Runnable ready;

    /** Folders reached with the client's credentials; roles are assumed with an STS client like it ({@link AssumedRoles#like}). */
    public UserFolders(S3Client s3) {
        this(s3, AssumedRoles.like(s3));
    }

    /** @param roles where executions' roles are assumed and their credentials kept */
    public UserFolders(S3Client s3, AssumedRoles roles) {
        this(s3, roles, o -> { }, () -> { });
    }

    private UserFolders(S3Client s3, AssumedRoles roles,
                        java.util.function.Consumer<AwsRequestOverrideConfiguration.Builder> signing, Runnable ready) {
        this.s3 = s3;
        this.roles = roles;
        this.signing = signing;
        this.ready = ready;
    }

    /** The same client, each request signed with the given access key (per-request credentials). */
    @Override
    public FolderStore withCredentials(String accessKeyId, String secretAccessKey) {
        var credentials = StaticCredentialsProvider.create(AwsBasicCredentials.create(accessKeyId, secretAccessKey));
        return new UserFolders(s3, roles, o -> o.credentialsProvider(credentials), () -> { });
    }

    /** The same client, each request signed with the role's temporary credentials (assumed now, kept per session). */
    @Override
    public FolderStore withRole(dev.sluice.execution.RoleSession session) {
        var credentials = roles.credentials(session);
        Runnable ready = () -> AssumedRoles.resolve(credentials, session);
        ready.run();
        return new UserFolders(s3, roles, o -> o.credentialsProvider(credentials), ready);
    }

    @Override
    public Listing list(Folder folder, String cursor, int max) {
        ready.run();
        if (folder.isLocal()) {
            return listLocal(folder, cursor, max);
        }
        String prefix = folder.path().isEmpty() ? "" : folder.path() + "/";
        int keys = Math.min(max, RequestLimits.S3_LIST_KEYS); // S3 answers at most 1,000 anyway: the cursor goes on
        software.amazon.awssdk.services.s3.model.ListObjectsV2Response page;
        try {
            page = s3.listObjectsV2(b -> b.bucket(folder.bucket()).prefix(prefix).maxKeys(keys).continuationToken(cursor)
                    .overrideConfiguration(signing));
        } catch (S3Exception e) {
            if (e.statusCode() == 403 || e.statusCode() == 404) {
                // no retry makes a missing bucket appear or a refusal go away: the execution fails with the cause
                throw new dev.sluice.execution.FileProblem("execution.folder_unreadable", "listing " + folder.uri()
                        + " was refused: " + (e.statusCode() == 404 ? "the bucket does not exist"
                        : "access denied to the credentials the execution uses") + " (S3 " + e.statusCode() + ")");
            }
            throw e;
        }
        var files = page.contents().stream().filter(o -> o.key().length() > prefix.length() && !o.key().endsWith("/"))
                .toList();
        return new Listing(files.stream().map(o -> o.key().substring(prefix.length())).toList(),
                files.stream().map(o -> o.size() == null ? 0L : o.size()).toList(),
                Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null);
    }

    /** Files under the folder in name order; the cursor is the last name of the previous page. */
    private static Listing listLocal(Folder folder, String cursor, int max) {
        Path root = Path.of(folder.path());
        if (!Files.isDirectory(root)) {
            return new Listing(List.of(), List.of(), null);
        }
        try (Stream<Path> files = Files.walk(root)) {
            List<String> names = files.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .sorted().filter(n -> cursor == null || n.compareTo(cursor) > 0).limit(max + 1L).toList();
            boolean more = names.size() > max;
            List<String> page = more ? names.subList(0, max) : names;
            List<Long> sizes = new java.util.ArrayList<>(page.size());
            for (String name : page) {
                sizes.add(Files.size(root.resolve(name)));
            }
            return new Listing(page, sizes, more ? page.get(page.size() - 1) : null);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public Source open(Folder folder, String name) throws IOException {
        if (folder.isLocal()) {
            Path file = Path.of(folder.path()).resolve(name);
            if (!Files.isRegularFile(file)) {
                // listed as a file, now a device or pipe (whose size says nothing): never read it
                throw new java.io.FileNotFoundException(name + " is no longer a regular file");
            }
            return Source.of(file);
        }
        ready.run();
        String key = folder.keyOf(name);
        HeadObjectResponse head;
        try {
            head = s3.headObject(b -> b.bucket(folder.bucket()).key(key).overrideConfiguration(signing));
        } catch (NoSuchKeyException e) {
            throw new FileNotFoundException("s3://" + folder.bucket() + "/" + key + " no longer exists");
        } catch (S3Exception e) {
            if (e.statusCode() == 404) {
                throw new FileNotFoundException("s3://" + folder.bucket() + "/" + key + " no longer exists");
            }
            throw new UnavailableException("HeadObject s3://" + folder.bucket() + "/" + key + ": " + e.getMessage(), e);
        } catch (SdkException e) {
            throw new UnavailableException("HeadObject s3://" + folder.bucket() + "/" + key + ": " + e.getMessage(), e);
        }
        long size = head.contentLength();
        String etag = head.eTag();
        return new Source() {
            @Override
            public long size() {
                return size;
            }

            @Override
            public InputStream from(long offset) throws IOException {
                if (offset >= size) {
                    return InputStream.nullInputStream();
                }
                ResponseInputStream<GetObjectResponse> in;
                try {
                    in = s3.getObject(b -> b.bucket(folder.bucket()).key(key).range("bytes=" + offset + "-")
                            .ifMatch(etag).overrideConfiguration(signing));
                } catch (NoSuchKeyException e) {
                    throw new ChangedException("s3://" + folder.bucket() + "/" + key + " was deleted");
                } catch (S3Exception e) {
                    if (e.statusCode() == 412 || e.statusCode() == 404) {
                        throw new ChangedException("s3://" + folder.bucket() + "/" + key + " is no longer the object"
                                + " of ETag " + etag);
                    }
                    throw new UnavailableException("GetObject s3://" + folder.bucket() + "/" + key + ": " + e.getMessage(), e);
                } catch (SdkException e) {
                    throw new UnavailableException("GetObject s3://" + folder.bucket() + "/" + key + ": " + e.getMessage(), e);
                }
                return new RangeStream(in, "s3://" + folder.bucket() + "/" + key);
            }
        };
    }

    /** A ranged GET's body: a failed read is the store's failure (retried); closing drops the rest unread. */
    private static final class RangeStream extends java.io.FilterInputStream {
        private final ResponseInputStream<GetObjectResponse> response;
        private final String uri;

        RangeStream(ResponseInputStream<GetObjectResponse> response, String uri) {
            super(response);
            this.response = response;
            this.uri = uri;
        }

        @Override
        public int read() throws IOException {
            try {
                return super.read();
            } catch (IOException | SdkException e) {
                throw new UnavailableException("reading " + uri + ": " + e.getMessage(), e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return super.read(b, off, len);
            } catch (IOException | SdkException e) {
                throw new UnavailableException("reading " + uri + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void close() throws IOException {
            response.abort(); // never drain the rest of a range to reuse the connection
            super.close();
        }
    }

    @Override
    public Upload create(Folder folder, String name, String contentType) throws IOException {
        if (folder.isLocal()) {
            Path file = Path.of(folder.path()).resolve(name);
            Files.createDirectories(file.getParent());
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            return new LocalUpload(file, partial);
        }
        ready.run();
        return new MultipartUpload(folder.bucket(), folder.keyOf(name), contentType);
    }

    /** A local output: written beside its name ({@code .partial}) and moved in place atomically on complete. */
    private static final class LocalUpload extends Upload {
        private final Path file;
        private final Path partial;
        private final java.io.OutputStream out;

        LocalUpload(Path file, Path partial) throws IOException {
            this.file = file;
            this.partial = partial;
            this.out = new java.io.BufferedOutputStream(Files.newOutputStream(partial));
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void complete() throws IOException {
            out.close();
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }

        @Override
        public void abort() {
            try {
                out.close();
                Files.deleteIfExists(partial);
            } catch (IOException ignored) {
                // a partial file left behind is never taken for an output (its name ends .partial)
            }
        }
    }

    /**
     * An S3 output: parts of {@link #PART_BYTES} uploaded as they fill (CreateMultipartUpload at the first full
     * part), completed with CompleteMultipartUpload; an output smaller than one part is one PutObject on complete.
     * The object appears whole or not at all: S3 shows no object for an upload that is not completed, and abort
     * drops its parts (an upload a crash left behind holds parts until a bucket lifecycle rule,
     * AbortIncompleteMultipartUpload, removes them).
     */
    private final class MultipartUpload extends Upload {
        /** S3's most parts in one upload (https://docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html). */
        private static final int MAX_PARTS = 10_000;
        private final String bucket;
        private final String key;
        private final String contentType;
        private final byte[] buffer = new byte[PART_BYTES];
        private int filled;
        private String uploadId;
        private final List<CompletedPart> parts = new ArrayList<>();
        private boolean done;

        MultipartUpload(String bucket, String key, String contentType) {
            this.bucket = bucket;
            this.key = key;
            this.contentType = contentType;
        }

        @Override
        public void write(int b) throws IOException {
            if (filled == buffer.length) {
                flushPart();
            }
            buffer[filled++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            while (len > 0) {
                if (filled == buffer.length) {
                    flushPart();
                }
                int n = Math.min(len, buffer.length - filled);
                System.arraycopy(b, off, buffer, filled, n);
                filled += n;
                off += n;
                len -= n;
            }
        }

        private void flushPart() throws IOException {
            try {
                if (uploadId == null) {
                    uploadId = s3.createMultipartUpload(r -> r.bucket(bucket).key(key).contentType(contentType)
                            .overrideConfiguration(signing)).uploadId();
                }
                if (parts.size() == MAX_PARTS) {
                    throw new dev.sluice.execution.FileProblem("execution.output_too_large", "the output is over "
                            + MAX_PARTS + " parts of " + (PART_BYTES >> 20) + " MiB, the most one S3 upload holds;"
                            + " split the file into smaller files");
                }
                int number = parts.size() + 1;
                int length = filled;
                // the part is sent from the buffer itself (a stream over it, opened again for a retry): a copy of it
                // (RequestBody.fromBytes copies too) was two more 5 MiB arrays beside it, on a heap of 48 MiB
                RequestBody part = RequestBody.fromContentProvider(
                        () -> new java.io.ByteArrayInputStream(buffer, 0, length), length, "application/octet-stream");
                String etag = s3.uploadPart(r -> r.bucket(bucket).key(key).uploadId(uploadId).partNumber(number)
                        .overrideConfiguration(signing), part).eTag();
                parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
                filled = 0;
            } catch (SdkException e) {
                throw new IOException("uploading s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void complete() throws IOException {
            try {
                if (uploadId == null) {
                    s3.putObject(r -> r.bucket(bucket).key(key).contentType(contentType).overrideConfiguration(signing),
                            RequestBody.fromBytes(java.util.Arrays.copyOf(buffer, filled)));
                } else {
                    if (filled > 0) {
                        flushPart();
                    }
                    s3.completeMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId)
                            .multipartUpload(m -> m.parts(parts)).overrideConfiguration(signing));
                }
                done = true;
            } catch (SdkException e) {
                throw new IOException("completing s3://" + bucket + "/" + key + ": " + e.getMessage(), e);
            }
        }

        @Override
        public void abort() {
            if (done || uploadId == null) {
                return;
            }
            done = true;
            try {
                s3.abortMultipartUpload(r -> r.bucket(bucket).key(key).uploadId(uploadId).overrideConfiguration(signing));
            } catch (SdkException e) {
                // the parts stay until the bucket's lifecycle rule removes them; no object appears either way
                org.slf4j.LoggerFactory.getLogger(UserFolders.class).warn("abort of s3://{}/{} failed: {}", bucket, key,
                        e.getMessage());
            }
        }
    }
}
