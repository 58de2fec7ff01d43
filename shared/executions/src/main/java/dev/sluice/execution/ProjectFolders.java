package dev.sluice.execution;

import dev.sluice.core.Ids;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The folders an execution reaches with the functions' own role, kept out of every other project's folder of the
 * buckets the operator allows: those buckets are shared by the deployment's projects, and a job's S3 destination
 * writes its results under {@code {projectId}/} there ({@code destination.S3Results#root}), so with the functions'
 * role an execution of one project could otherwise read another's results into its own output, or overwrite them.
 * A key whose first segment is a project id ({@code proj_…}) other than the execution's own is refused before any
 * request ({@code execution.folder_refused}); a listing of a bucket's root leaves such keys out. Which project ids
 * exist plays no part (no existence oracle). An execution reaching its folders with credentials of its own (stored
 * secrets, {@code iamRoleArn}) reaches what they reach and is not wrapped.
 */
final class ProjectFolders implements FolderStore {
    static final String CODE = "execution.folder_refused";
    private final FolderStore folders;
    private final String projectId;

    ProjectFolders(FolderStore folders, String projectId) {
        this.folders = folders;
        this.projectId = projectId;
    }

    /** Throws {@value #CODE} when the folder (an S3 one) lies in another project's folder. */
    static void check(Folder folder, String projectId) {
        if (!folder.isLocal() && othersKey(folder.path(), projectId)) {
            throw new FileProblem(CODE, refusal(folder.uri()));
        }
    }

    static String refusal(String where) {
        return where + " is in a folder named by another project's id; in the buckets projects share, a project"
                + " reaches only its own proj_… folder of those (S3 destinations write there) and folders not named"
                + " by a project id";
    }

    /** Whether the key (or folder path) starts with a segment that is a project id other than {@code projectId}. */
    static boolean othersKey(String key, String projectId) {
        int slash = key.indexOf('/');
        String first = slash < 0 ? key : key.substring(0, slash);
        return Ids.hasPrefix(first, Ids.PROJECT) && !first.equals(projectId);
    }

    @Override
    public Listing list(Folder folder, String cursor, int max) {
        check(folder, projectId);
        Listing page = folders.list(folder, cursor, max);
        if (folder.isLocal() || !folder.path().isEmpty()) {
            return page; // under a folder that passed the check, every key has that folder's first segment
        }
        List<String> names = new ArrayList<>();
        List<Long> sizes = new ArrayList<>();
        for (int i = 0; i < page.names().size(); i++) {
            if (!othersKey(page.names().get(i), projectId)) {
                names.add(page.names().get(i));
                sizes.add(page.sizes().get(i));
            }
        }
        return new Listing(names, sizes, page.cursor());
    }

    @Override
    public Source open(Folder folder, String name) throws IOException {
        refuseOthers(folder, name);
        return folders.open(folder, name);
    }

    @Override
    public Upload create(Folder folder, String name, String contentType) throws IOException {
        refuseOthers(folder, name);
        return folders.create(folder, name, contentType);
    }

    private void refuseOthers(Folder folder, String name) {
        if (!folder.isLocal() && othersKey(folder.keyOf(name), projectId)) {
            throw new FileProblem(CODE, refusal("s3://" + folder.bucket() + "/" + folder.keyOf(name)));
        }
    }

    @Override
    public FolderStore withCredentials(String accessKeyId, String secretAccessKey) {
        return folders.withCredentials(accessKeyId, secretAccessKey);
    }

    @Override
    public FolderStore withRole(RoleSession session) {
        return folders.withRole(session);
    }
}
