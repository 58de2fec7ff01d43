package dev.sluice.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/** The local image host: a file's bytes, kept after the first request, and a changed file's new bytes. */
class StaticFilesTest {
    @Test
    void servesAFile_keepsIt_andServesItsNewBytesOnceChanged(@TempDir Path dir) throws Exception {
        Path folder = Files.createDirectory(dir.resolve("served"));
        Path file = folder.resolve("cat.jpg");
        Files.write(file, new byte[]{1, 2, 3});
        Files.writeString(dir.resolve("outside.txt"), "secret");
        HttpClient client = HttpClient.newHttpClient();
        try (StaticFiles files = new StaticFiles(folder)) {
            assertArrayEquals(new byte[]{1, 2, 3}, get(client, files.url("cat.jpg")).body());
            assertArrayEquals(new byte[]{1, 2, 3}, get(client, files.url("cat.jpg")).body(), "kept");

            Files.write(file, new byte[]{4, 5, 6}); // same size: told apart by its modification time
            Files.setLastModifiedTime(file, FileTime.fromMillis(Files.getLastModifiedTime(file).toMillis() + 2_000));
            assertArrayEquals(new byte[]{4, 5, 6}, get(client, files.url("cat.jpg")).body());
            Files.write(file, new byte[]{7, 8, 9, 10});
            assertArrayEquals(new byte[]{7, 8, 9, 10}, get(client, files.url("cat.jpg")).body());

            assertEquals(404, get(client, files.url("missing.jpg")).statusCode());
            assertEquals(404, get(client, files.url("../outside.txt")).statusCode());
        }
    }

    private static HttpResponse<byte[]> get(HttpClient client, String url) throws Exception {
        return client.send(HttpRequest.newBuilder(URI.create(url)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
