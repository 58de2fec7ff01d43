package dev.sluice.aws;

import dev.sluice.execution.Folder;
import dev.sluice.execution.FolderStore;
import software.amazon.awssdk.auth.credentials.AwsBasicCredentials;
import software.amazon.awssdk.auth.credentials.StaticCredentialsProvider;
import software.amazon.awssdk.awscore.AwsRequestOverrideConfiguration;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;

/**
 * Users' folders for executions: S3 (ListObjectsV2 pages, GetObject, PutObject with the function's role), and in
 * local mode this machine's folders, read and written where they are.
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
        var page = s3.listObjectsV2(b -> b.bucket(folder.bucket()).prefix(prefix).maxKeys(keys).continuationToken(cursor)
                .overrideConfiguration(signing));
        List<String> names = page.contents().stream().map(o -> o.key().substring(prefix.length()))
                .filter(name -> !name.isEmpty() && !name.endsWith("/")).toList();
        return new Listing(names, Boolean.TRUE.equals(page.isTruncated()) ? page.nextContinuationToken() : null);
    }

    /** Files under the folder in name order; the cursor is the last name of the previous page. */
    private static Listing listLocal(Folder folder, String cursor, int max) {
        Path root = Path.of(folder.path());
        if (!Files.isDirectory(root)) {
            return new Listing(List.of(), null);
        }
        try (Stream<Path> files = Files.walk(root)) {
            List<String> names = files.filter(Files::isRegularFile).map(p -> root.relativize(p).toString().replace('\\', '/'))
                    .sorted().filter(n -> cursor == null || n.compareTo(cursor) > 0).limit(max + 1L).toList();
            boolean more = names.size() > max;
            List<String> page = more ? names.subList(0, max) : names;
            return new Listing(page, more ? page.get(page.size() - 1) : null);
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    @Override
    public void download(Folder folder, String name, Path to, long maxBytes) throws IOException {
        if (folder.isLocal()) {
            Path file = Path.of(folder.path()).resolve(name);
            if (!Files.isRegularFile(file)) {
                // listed as a file, now a device or pipe (whose size says nothing): never read it
                throw new java.io.FileNotFoundException(name + " is no longer a regular file");
            }
            if (Files.size(file) > maxBytes) {
                throw new FileTooLargeException(name, Files.size(file), maxBytes);
            }
            Files.copy(file, to, StandardCopyOption.REPLACE_EXISTING);
            return;
        }
        ready.run();
        String key = folder.keyOf(name);
        try (var in = s3.getObject(b -> b.bucket(folder.bucket()).key(key).overrideConfiguration(signing))) {
            Long size = in.response().contentLength();
            if (size != null && size > maxBytes) {
                in.abort();
                throw new FileTooLargeException(name, size, maxBytes);
            }
            Files.copy(in, to, StandardCopyOption.REPLACE_EXISTING);
        } catch (NoSuchKeyException e) {
            throw new FileNotFoundException("s3://" + folder.bucket() + "/" + key + " no longer exists");
        }
    }

    @Override
    public void upload(Folder folder, String name, Path from, String contentType) throws IOException {
        if (folder.isLocal()) {
            Path file = Path.of(folder.path()).resolve(name);
            Files.createDirectories(file.getParent());
            Path partial = file.resolveSibling(file.getFileName() + ".partial");
            Files.copy(from, partial, StandardCopyOption.REPLACE_EXISTING);
            Files.move(partial, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return;
        }
        ready.run();
        s3.putObject(b -> b.bucket(folder.bucket()).key(folder.keyOf(name)).contentType(contentType)
                        .overrideConfiguration(signing),
                RequestBody.fromFile(from));
    }
}
