package dev.sluice.aws;

import dev.sluice.execution.Folder;
import dev.sluice.execution.FolderStore;
import dev.sluice.local.EmulatorStack;
import dev.sluice.local.LocalProvisioner;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;

import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 27: a file task's S3 side on the emulators' S3 through the AWS SDK. An output is a multipart upload of 5 MiB
 * parts that shows no object until it completes, completes as the bytes written, and when aborted leaves no object
 * (and the previous object of that name as it was) and no upload; a small output is one PutObject; a file is read
 * from any offset by ranged GETs pinned to its ETag, so a file replaced mid-read fails with ChangedException.
 */
class UserFoldersStreamingTest {
    private static EmulatorStack stack;
    private static S3Client s3;
    private static final String BUCKET = "user-bucket";
    private static final Folder OUT = new Folder(BUCKET, "out");

    @BeforeAll
    static void start() {
        stack = EmulatorStack.start();
        s3 = LocalProvisioner.clients(stack, List.of()).s3();
        s3.createBucket(b -> b.bucket(BUCKET));
    }

    @AfterAll
    static void stop() {
        stack.close();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    private static boolean exists(String key) {
        try {
            s3.headObject(b -> b.bucket(BUCKET).key(key));
            return true;
        } catch (NoSuchKeyException e) {
            return false;
        } catch (software.amazon.awssdk.services.s3.model.S3Exception e) {
            if (e.statusCode() == 404) {
                return false;
            }
            throw e;
        }
    }

    @Test
    void anOutputAppearsWholeOnComplete_andAnAbortedOneLeavesThePreviousObjectAndNoUpload() throws Exception {
        UserFolders folders = new UserFolders(s3);
        byte[] first = random(2 * FolderStore.PART_BYTES + 123_456, 1); // 3 parts: 5 MiB, 5 MiB, the rest
        FolderStore.Upload upload = folders.create(OUT, "sub/a.parquet", "application/vnd.apache.parquet");
        for (int i = 0; i < first.length; i += 1_000_000) {
            upload.write(first, i, Math.min(1_000_000, first.length - i));
        }
        assertTrue(s3.listMultipartUploads(b -> b.bucket(BUCKET)).uploads().size() == 1, "the parts went out as they filled");
        assertTrue(!exists("out/sub/a.parquet"), "no object before complete");
        upload.complete();
        assertArrayEquals(first, s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("out/sub/a.parquet")).asByteArray());

        // an aborted upload: no object, no upload behind, nothing else touched. (On S3 an aborted re-run of the same
        // key leaves the completed object as it was; S3Mock loses the key's object when a second upload of that key is
        // started and aborted — our code sends no DeleteObject — so the aborted upload here is of another key.)
        FolderStore.Upload again = folders.create(OUT, "sub/b.parquet", "application/vnd.apache.parquet");
        again.write(random(FolderStore.PART_BYTES + 10, 2));
        again.abort();
        again.abort(); // safe twice
        assertTrue(!exists("out/sub/b.parquet"), "an aborted upload leaves no object");
        assertArrayEquals(first, s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("out/sub/a.parquet")).asByteArray(),
                "an aborted upload leaves the other objects as they were");
        assertEquals(0, s3.listMultipartUploads(b -> b.bucket(BUCKET)).uploads().size(), "and no upload behind");

        byte[] small = "a,b\r\n1,2\r\n".getBytes();
        FolderStore.Upload one = folders.create(OUT, "small.csv", "text/csv");
        one.write(small);
        one.complete();
        assertArrayEquals(small, s3.getObjectAsBytes(b -> b.bucket(BUCKET).key("out/small.csv")).asByteArray());
        assertEquals("text/csv", s3.headObject(b -> b.bucket(BUCKET).key("out/small.csv")).contentType());
    }

    @Test
    void aFileIsReadFromAnyOffset_andAFileReplacedWhileReadFailsAsChanged() throws Exception {
        byte[] bytes = random(3_000_000, 3);
        s3.putObject(b -> b.bucket(BUCKET).key("in/f.parquet"), RequestBody.fromBytes(bytes));
        FolderStore.Source source = new UserFolders(s3).open(new Folder(BUCKET, "in"), "f.parquet");
        assertEquals(bytes.length, source.size());
        for (long offset : new long[]{0, 1, 2_999_992, 1_500_000}) {
            try (InputStream in = source.from(offset)) {
                assertArrayEquals(Arrays.copyOfRange(bytes, (int) offset, Math.min(bytes.length, (int) offset + 8)),
                        in.readNBytes(8), "offset " + offset);
            }
        }
        assertEquals(0, source.from(bytes.length).readAllBytes().length);
        s3.putObject(b -> b.bucket(BUCKET).key("in/f.parquet"), RequestBody.fromBytes(random(3_000_000, 4)));
        assertThrows(FolderStore.ChangedException.class, () -> source.from(100).close());
        assertThrows(java.io.FileNotFoundException.class, () -> new UserFolders(s3).open(new Folder(BUCKET, "in"), "gone.parquet"));
    }
}
