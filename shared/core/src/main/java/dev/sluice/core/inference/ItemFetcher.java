package dev.sluice.core.inference;

import dev.sluice.core.port.ObjectStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;

/**
 * Gathers an item's bytes: {@code https://} (no redirects followed), {@code s3://bucket/key} of an allowed bucket
 * ({@link dev.sluice.core.AllowedBuckets}), and in local mode
 * {@code http://} and {@code file://}. Connect and read timeouts and a size cap bound every fetch. A transient
 * failure (no connection, a dropped or timed-out answer, 429, 5xx) is tried again, at most {@value #ATTEMPTS} times in
 * all, {@value #RETRY_PAUSE_MILLIS} ms and then twice that apart, before the item fails with the last reason.
 */
public final class ItemFetcher {
    public record Fetched(byte[] bytes, String errorCode, String reason) {
        public boolean ok() {
            return bytes != null;
        }
    }

    private final HttpClient http;
    private final ObjectStore objects;
    private final Duration readTimeout;
    private final long maxBytes;
    private final boolean allowLocal;

    private final dev.sluice.core.net.OutboundGuard guard;
    private final dev.sluice.core.AllowedBuckets itemBuckets;

    /** @param itemBuckets the buckets {@code s3://} items may name; any other gets {@code gather.bucket_refused} */
    public ItemFetcher(ObjectStore objects, Duration connectTimeout, Duration readTimeout, long maxBytes,
                       boolean allowLocal, dev.sluice.core.net.OutboundGuard guard,
                       dev.sluice.core.AllowedBuckets itemBuckets) {
        this.guard = guard;
        this.itemBuckets = itemBuckets;
        this.http = HttpClient.newBuilder().connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build();
        this.objects = objects;
        this.readTimeout = readTimeout;
        this.maxBytes = maxBytes;
        this.allowLocal = allowLocal;
    }

    static final int ATTEMPTS = 3;
    static final long RETRY_PAUSE_MILLIS = 200;

    public Fetched fetch(String url) {
        Fetched fetched = fetchOnce(url);
        for (int attempt = 2; attempt <= ATTEMPTS && worthRetrying(fetched); attempt++) {
            try {
                Thread.sleep(RETRY_PAUSE_MILLIS << (attempt - 2));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fetched;
            }
            fetched = fetchOnce(url);
        }
        return fetched;
    }

    private static boolean worthRetrying(Fetched f) {
        if (f.ok() || f.errorCode() == null) {
            return false;
        }
        String code = f.errorCode();
        return code.equals("gather.unreachable") || code.equals("gather.timeout") || code.equals("gather.http_429")
                || code.matches("gather\\.http_5\\d\\d");
    }

    private Fetched fetchOnce(String url) {
        try {
            URI uri = URI.create(url);
            String scheme = uri.getScheme().toLowerCase();
            return switch (scheme) {
                case "https" -> http(uri);
                case "http" -> allowLocal ? http(uri) : refused("plain http is refused");
                case "s3" -> s3(uri);
                case "file" -> allowLocal ? file(uri) : refused("file URLs work only in local mode");
                default -> refused("unsupported scheme " + scheme);
            };
        } catch (TooLargeException e) {
            return new Fetched(null, "gather.too_large", "the item is larger than " + maxBytes + " bytes");
        } catch (HttpTimeoutException e) {
            return new Fetched(null, "gather.timeout", "no answer within the timeout: " + e.getMessage());
        } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
            return new Fetched(null, "gather.not_found", "the item does not exist: " + e.getMessage());
        } catch (IOException e) {
            return new Fetched(null, "gather.unreachable", e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : ": " + e.getMessage()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Fetched(null, "gather.interrupted", "the fetch was interrupted");
        } catch (RuntimeException e) {
            return new Fetched(null, "gather.failed", e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    private Fetched http(URI uri) throws IOException, InterruptedException {
        dev.sluice.core.net.OutboundGuard.Refusal refusal = guard.check(uri.toString());
        if (refusal != null) {
            return new Fetched(null, "gather." + refusal.code().replace("url.", ""), refusal.reason());
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(readTimeout).GET().build();
        HttpResponse<InputStream> response = http.send(request, HttpResponse.BodyHandlers.ofInputStream());
        try (InputStream body = response.body()) {
            if (response.statusCode() != 200) {
                return new Fetched(null, "gather.http_" + response.statusCode(),
                        "the server answered HTTP " + response.statusCode());
            }
            long declared = response.headers().firstValueAsLong("content-length").orElse(-1);
            if (declared > maxBytes) {
                throw new TooLargeException();
            }
            return new Fetched(readCapped(body, maxBytes), null, null);
        }
    }

    /**
     * Only buckets the operator allowed, never the data bucket, decided before any S3 request: a refused bucket gets
     * the same answer whether the object exists or not (no existence oracle across tenants).
     */
    private Fetched s3(URI uri) throws IOException {
        String bucket = uri.getAuthority();
        if (!itemBuckets.allows(bucket)) {
            return new Fetched(null, "gather.bucket_refused", "s3://" + bucket + " is not a bucket items may be read"
                    + " from; the operator allows buckets by name (SLUICE_ITEM_BUCKETS; CDK itemBuckets, SAM ItemBuckets)");
        }
        String key = uri.getPath() == null || uri.getPath().length() < 2 ? null : uri.getPath().substring(1);
        if (key == null) {
            return refused("an s3:// item needs a key: s3://bucket/key");
        }
        return new Fetched(objects.readItem(bucket, key, maxBytes), null, null);
    }

    private Fetched file(URI uri) throws IOException {
        Path path = Path.of(uri);
        if (Files.size(path) > maxBytes) {
            throw new TooLargeException();
        }
        return new Fetched(Files.readAllBytes(path), null, null);
    }

    private static Fetched refused(String reason) {
        return new Fetched(null, "gather.refused", reason);
    }

    /** Reads at most max bytes, failing as soon as the stream holds more. */
    public static byte[] readCapped(InputStream in, long max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream(64 * 1024);
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        int n;
        while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > max) {
                throw new TooLargeException();
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    public static final class TooLargeException extends IOException {
        public TooLargeException() {
            super("too large");
        }
    }
}
