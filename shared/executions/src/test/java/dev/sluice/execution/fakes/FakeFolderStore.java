package dev.sluice.execution.fakes;

import dev.sluice.execution.Folder;
import dev.sluice.execution.FolderStore;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * In-memory folders with the S3 adapter's contract ({@code UserFolders}): a listing gives names relative to the
 * folder in key order, at most max a page, and a cursor to continue from (null on the last page); opening a missing
 * file fails with {@link FileNotFoundException}; an upload replaces the file of that name when it completes, and
 * leaves nothing when aborted. {@link #withCredentials} returns the same folders and records the key.
 */
public final class FakeFolderStore implements FolderStore {
    private final Map<String, TreeMap<String, byte[]>> folders = new HashMap<>();
    private final List<String> credentials = new ArrayList<>();

    private TreeMap<String, byte[]> of(Folder folder) {
        return folders.computeIfAbsent(folder.uri(), k -> new TreeMap<>());
    }

    @Override
    public synchronized Listing list(Folder folder, String cursor, int max) {
        var names = (cursor == null ? of(folder) : of(folder).tailMap(cursor, false)).keySet().stream().limit(max).toList();
        String next = names.size() == max && of(folder).higherKey(names.get(names.size() - 1)) != null
                ? names.get(names.size() - 1) : null;
        return new Listing(names, names.stream().map(n -> (long) of(folder).get(n).length).toList(), next);
    }

    @Override
    public synchronized Source open(Folder folder, String name) throws IOException {
        byte[] bytes = of(folder).get(name);
        if (bytes == null) {
            throw new FileNotFoundException(folder.keyOf(name) + " does not exist");
        }
        return new Source() {
            @Override
            public long size() {
                return bytes.length;
            }

            @Override
            public java.io.InputStream from(long offset) {
                return new java.io.ByteArrayInputStream(bytes, (int) offset, bytes.length - (int) offset);
            }
        };
    }

    @Override
    public synchronized Upload create(Folder folder, String name, String contentType) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        return new Upload() {
            @Override
            public void write(int b) {
                out.write(b);
            }

            @Override
            public void write(byte[] b, int off, int len) {
                out.write(b, off, len);
            }

            @Override
            public void complete() {
                synchronized (FakeFolderStore.this) {
                    of(folder).put(name, out.toByteArray());
                }
            }

            @Override
            public void abort() {
            }
        };
    }

    @Override
    public synchronized FolderStore withCredentials(String accessKeyId, String secretAccessKey) {
        credentials.add(accessKeyId);
        return this;
    }

    /** Roles this refuses, as STS would ({@link #refuseRole}); others are recorded and give the same folders. */
    private final java.util.Set<String> refusedRoles = new java.util.HashSet<>();
    private final List<dev.sluice.execution.RoleSession> sessions = new ArrayList<>();

    @Override
    public synchronized FolderStore withRole(dev.sluice.execution.RoleSession session) {
        if (refusedRoles.contains(session.roleArn())) {
            throw new dev.sluice.execution.FileProblem("execution.role_not_assumable", "STS refused " + session.roleArn());
        }
        sessions.add(session);
        return this;
    }

    // ---- for tests ----

    public synchronized void refuseRole(String roleArn) {
        refusedRoles.add(roleArn);
    }

    public synchronized List<dev.sluice.execution.RoleSession> sessions() {
        return List.copyOf(sessions);
    }

    public synchronized void put(Folder folder, String name, byte[] bytes) {
        of(folder).put(name, bytes.clone());
    }

    public synchronized byte[] get(Folder folder, String name) {
        byte[] bytes = of(folder).get(name);
        return bytes == null ? null : bytes.clone();
    }

    public synchronized List<String> names(Folder folder) {
        return List.copyOf(of(folder).keySet());
    }

    /** The access key ids folders were reached with. */
    public synchronized List<String> credentials() {
        return List.copyOf(credentials);
    }
}
