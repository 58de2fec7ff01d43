package dev.sluice.core.inference;

import dev.sluice.core.port.ObjectStore;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
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
 * ({@link dev.sluice.core.AllowedBuckets}), and in local mode {@code http://} and {@code file://}. A size cap and one
 * deadline bound every item: connect, headers and body of every attempt together end within {@code deadline}, however
 * slowly the server sends (a server that sends a byte a second is cut off at the deadline and its connection closed:
 * {@code gather.timeout}). A transient failure (no connection, a dropped answer, 429, 5xx) is tried again while the
 * deadline allows, at most {@value #ATTEMPTS} times in all, {@value #RETRY_PAUSE_MILLIS} ms and then twice that
 * apart, before the item fails with the last reason.
 *
 * <p>Content-Encoding: requests say {@code Accept-Encoding: gzip, deflate}; a body sent with {@code gzip} (or
 * {@code x-gzip}) or {@code deflate} (zlib-wrapped, or raw as some servers send it) is decoded, and the size cap
 * applies to the decoded bytes too, so a small gzip bomb fails {@code gather.too_large} after reading at most the cap.
 * A body that does not decode fails {@code gather.corrupt_encoding}; any other encoding (br, zstd, compress)
 * {@code gather.unsupported_encoding} (RFC 9110 section 8.4: encodings are listed in the order they were applied).
 */
public class ItemFetcher { // not final: unit tests of the inference stage give it a fake subclass
    public record Fetched(byte[] bytes, String errorCode, String reason) {
        public boolean ok() {
            return bytes != null;
        }
    }

    private final dev.sluice.core.net.FreshConnections http;
    private final ObjectStore objects;
    /** The whole fetch of one item: every attempt's connect, headers and body, and the pauses between them. */
    private final Duration deadline;
    private final long maxBytes;
    private final boolean allowLocal;

    private final dev.sluice.core.net.OutboundGuard guard;
    private final dev.sluice.core.AllowedBuckets itemBuckets;

    /**
     * @param connectTimeout the TCP/TLS connect of one attempt
     * @param deadline       the whole fetch of one item over HTTP(S), all attempts together (connect + headers + body)
     * @param maxBytes       the size cap of one item ({@code gather.too_large} beyond it)
     * @param itemBuckets    the buckets {@code s3://} items may name; any other gets {@code gather.bucket_refused}
     */
    public ItemFetcher(ObjectStore objects, Duration connectTimeout, Duration deadline, long maxBytes,
                       boolean allowLocal, dev.sluice.core.net.OutboundGuard guard,
                       dev.sluice.core.AllowedBuckets itemBuckets) {
        this.guard = guard;
        this.itemBuckets = itemBuckets;
        this.http = new dev.sluice.core.net.FreshConnections(() -> HttpClient.newBuilder().connectTimeout(connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER).build());
        this.objects = objects;
        this.deadline = deadline;
        this.maxBytes = maxBytes;
        this.allowLocal = allowLocal;
    }

    /** The size cap of one item, in bytes. */
    public long maxBytes() {
        return maxBytes;
    }

    /** The whole fetch of one item, all attempts together. */
    public Duration deadline() {
        return deadline;
    }

    static final int ATTEMPTS = 3;
    static final long RETRY_PAUSE_MILLIS = 200;

    /** The default of {@code spec.gather.maxConnectionsPerHost}; see {@link dev.sluice.core.job.JobSpec.Gather}. */
    public static final int DEFAULT_MAX_CONNECTIONS_PER_HOST = dev.sluice.core.job.JobSpec.Gather.DEFAULT_MAX_CONNECTIONS_PER_HOST;
    private static final int MAX_CONNECTIONS_PER_HOST = dev.sluice.core.job.JobSpec.Gather.MAX_CONNECTIONS_PER_HOST;

    /** Slots per project and origin; an entry lives while a fetch holds or waits for one of its slots. */
    private final java.util.concurrent.ConcurrentMap<String, HostSlots> hostSlots = new java.util.concurrent.ConcurrentHashMap<>();

    private static final class HostSlots {
        final java.util.concurrent.Semaphore permits;
        int users; // guarded by the map's compute

        HostSlots(int limit) {
            permits = new java.util.concurrent.Semaphore(limit, true);
        }
    }

    /**
     * {@link #fetch(String)} with at most {@code maxConnectionsPerHost} fetches of the same project in flight to the
     * item's web host from this worker (fair: in arrival order). The item's deadline starts when its request starts,
     * after its turn came, not while it waited for a slot; a fetch interrupted while waiting (a batch put back or
     * cancelled) answers {@code gather.interrupted}. {@code s3://} and {@code file://} items take no slot. The limit
     * of a project and host is the first one asked for while none of its slots is held or awaited.
     *
     * @param scope                 whose slots: the project id (one project's slow host never holds another's fetches)
     * @param maxConnectionsPerHost 1..64 ({@link dev.sluice.core.job.JobSpec.Gather}); clamped to it
     */
    public Fetched fetch(String url, String scope, int maxConnectionsPerHost) {
        if (!url.regionMatches(true, 0, "http", 0, 4)) {
            return fetch(url);
        }
        String key;
        try {
            key = scope + " " + dev.sluice.core.net.OutboundGuard.origin(url);
        } catch (RuntimeException e) {
            return fetch(url); // not a URL the guard can read: fetch() gives its code
        }
        HostSlots slots = hostSlots.compute(key, (k, v) -> {
            HostSlots h = v != null ? v : new HostSlots(Math.max(1, Math.min(MAX_CONNECTIONS_PER_HOST, maxConnectionsPerHost)));
            h.users++;
            return h;
        });
        try {
            slots.permits.acquire();
        } catch (InterruptedException e) {
            leave(key, slots);
            Thread.currentThread().interrupt();
            return new Fetched(null, "gather.interrupted", "the fetch was interrupted");
        }
        try {
            return fetch(url);
        } finally {
            slots.permits.release();
            leave(key, slots);
        }
    }

    private void leave(String key, HostSlots slots) {
        hostSlots.computeIfPresent(key, (k, v) -> v == slots && --v.users == 0 ? null : v);
    }

    /**
     * Fetches the item within the deadline, counted from now. A transient failure (no connection, a connect that
     * timed out, 429, 5xx) is tried again after a backoff with jitter while the deadline allows.
     */
    public Fetched fetch(String url) {
        long endNanos = System.nanoTime() + deadline.toNanos();
        Fetched fetched = fetchOnce(url, endNanos);
        for (int attempt = 2; attempt <= ATTEMPTS && worthRetrying(fetched); attempt++) {
            long step = RETRY_PAUSE_MILLIS << (attempt - 2); // equal jitter: a burst's retries do not come back together
            long pause = step / 2 + dev.sluice.core.Jitter.below(step / 2 + 1);
            if (System.nanoTime() + pause * 1_000_000 >= endNanos) {
                return fetched; // no time left for another attempt
            }
            try {
                Thread.sleep(pause);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return fetched;
            }
            fetched = fetchOnce(url, endNanos);
        }
        return fetched;
    }

    private static boolean worthRetrying(Fetched f) {
        if (f.ok() || f.errorCode() == null) {
            return false;
        }
        String code = f.errorCode();
        return code.equals("gather.unreachable") || code.equals("gather.http_429")
                || code.matches("gather\\.http_5\\d\\d");
    }

    private Fetched fetchOnce(String url, long endNanos) {
        try {
            URI uri = URI.create(url);
            String scheme = uri.getScheme().toLowerCase();
            return switch (scheme) {
                case "https" -> http(uri, endNanos);
                case "http" -> allowLocal ? http(uri, endNanos) : refused("plain http is refused");
                case "s3" -> s3(uri);
                case "file" -> allowLocal ? file(uri) : refused("file URLs work only in local mode");
                default -> refused("unsupported scheme " + scheme);
            };
        } catch (TooLargeException e) {
            return new Fetched(null, "gather.too_large", "the item is larger than " + maxBytes + " bytes");
        } catch (java.net.http.HttpConnectTimeoutException e) {
            return new Fetched(null, "gather.unreachable", "no connection within the connect timeout");
        } catch (HttpTimeoutException | TimeoutException e) {
            return new Fetched(null, "gather.timeout", "the item did not arrive whole within " + deadline.toMillis()
                    + " ms (connect, headers and body)");
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

    private Fetched http(URI uri, long endNanos) throws IOException, InterruptedException, TimeoutException {
        HttpClient client = http.client();
        try {
            return http(client, uri, endNanos);
        } catch (IOException e) {
            if (!dev.sluice.core.net.FreshConnections.staleConnection(e)) {
                throw e;
            }
            http.renew(client); // a pooled connection the server had closed: once more on a new one
            return http(http.client(), uri, endNanos);
        }
    }

    private Fetched http(HttpClient client, URI uri, long endNanos) throws IOException, InterruptedException, TimeoutException {
        dev.sluice.core.net.OutboundGuard.Refusal refusal = guard.check(uri.toString());
        if (refusal != null) {
            return new Fetched(null, "gather." + refusal.code().replace("url.", ""), refusal.reason());
        }
        long remaining = endNanos - System.nanoTime();
        if (remaining <= 0) {
            throw new TimeoutException();
        }
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofNanos(remaining))
                .header("Accept-Encoding", "gzip, deflate").GET().build();
        // The request timeout covers only the headers: the body is bounded by waiting for the whole exchange at most
        // until the deadline, and cancelling it then (which closes the connection: a drip-feeding server is cut off).
        CompletableFuture<HttpResponse<byte[]>> exchange = client.sendAsync(request, info -> info.statusCode() != 200
                ? HttpResponse.BodySubscribers.replacing(null)
                : new CappedBody(maxBytes, info.headers().firstValueAsLong("content-length").orElse(-1)));
        HttpResponse<byte[]> response;
        try {
            response = exchange.get(Math.max(0, endNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | InterruptedException e) {
            exchange.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof IOException io) {
                throw io;
            }
            throw new IOException(cause);
        }
        if (response.statusCode() != 200) {
            return new Fetched(null, "gather.http_" + response.statusCode(),
                    "the server answered HTTP " + response.statusCode());
        }
        // the bytes that crossed the wire, before decoding (the item's status.usage.bytesFetched; S3 reads are
        // counted by the SDK interceptor)
        dev.sluice.core.usage.UsageMeter.process().record(dev.sluice.core.usage.Usage.fetched(response.body().length));
        return decoded(response.body(), response.headers().allValues("content-encoding"));
    }

    /** Undoes the body's Content-Encoding codings, last applied first, each capped at {@code maxBytes} decoded. */
    Fetched decoded(byte[] body, List<String> contentEncoding) throws TooLargeException {
        List<String> codings = contentEncoding.stream().flatMap(v -> java.util.Arrays.stream(v.split(",")))
                .map(c -> c.trim().toLowerCase(java.util.Locale.ROOT)).filter(c -> !c.isEmpty() && !c.equals("identity"))
                .toList();
        if (codings.size() > 2) {
            return new Fetched(null, "gather.unsupported_encoding", "the item is encoded " + codings.size()
                    + " times (Content-Encoding: " + String.join(", ", codings) + "); at most gzip and deflate once each");
        }
        byte[] bytes = body;
        for (int k = codings.size() - 1; k >= 0; k--) {
            String coding = codings.get(k);
            try {
                bytes = switch (coding) {
                    case "gzip", "x-gzip" -> readCapped(new java.util.zip.GZIPInputStream(
                            new java.io.ByteArrayInputStream(bytes)), maxBytes);
                    case "deflate" -> inflate(bytes);
                    default -> null;
                };
            } catch (TooLargeException e) {
                throw e;
            } catch (IOException e) {
                return new Fetched(null, "gather.corrupt_encoding", "the item's " + coding
                        + " Content-Encoding does not decode: " + e.getMessage());
            }
            if (bytes == null) {
                return new Fetched(null, "gather.unsupported_encoding", "the item is sent with Content-Encoding "
                        + coding + "; Sluice decodes gzip and deflate");
            }
        }
        return new Fetched(bytes, null, null);
    }

    /** HTTP's deflate is zlib-wrapped (RFC 9110 section 8.4.1.2); some servers send raw deflate: both are read. */
    private byte[] inflate(byte[] bytes) throws IOException {
        boolean zlib = bytes.length >= 2 && (bytes[0] & 0x0f) == 8 && (((bytes[0] & 0xff) << 8) | (bytes[1] & 0xff)) % 31 == 0;
        java.util.zip.Inflater inflater = new java.util.zip.Inflater(!zlib);
        try {
            return readCapped(new java.util.zip.InflaterInputStream(new java.io.ByteArrayInputStream(bytes), inflater),
                    maxBytes);
        } finally {
            inflater.end();
        }
    }

    /**
     * Collects a body of at most max bytes straight into one array; fails with {@link TooLargeException} (and cancels
     * the stream, closing the connection) as soon as the declared length or the bytes received are over it. A declared
     * Content-Length sizes the array, so a body that arrives whole is copied once (out of the client's buffers) and
     * never again; a server reserves at most {@value #PRESIZE_BYTES} bytes before it sends them, the rest of its
     * declared length once that much has arrived (a server that declares 50 MB and sends nothing holds 1 MiB, not
     * 50). Without a declared length the array doubles as bytes arrive and is trimmed at the end.
     */
    static final class CappedBody implements HttpResponse.BodySubscriber<byte[]> {
        static final int PRESIZE_BYTES = 1 << 20;
        private static final int UNDECLARED_START_BYTES = 64 * 1024;
        private final long max;
        private final long declared;
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private byte[] bytes;
        private int size;
        private Flow.Subscription subscription;

        /** @param declared the Content-Length in bytes, or -1 when the server did not declare one */
        CappedBody(long max, long declared) {
            this.max = Math.min(max, Integer.MAX_VALUE - 8); // the longest array; a longer body fails too large
            this.declared = declared;
            long start = declared < 0 ? UNDECLARED_START_BYTES : declared <= max ? declared : 0;
            this.bytes = new byte[(int) Math.min(start, PRESIZE_BYTES)];
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (declared > max) {
                s.cancel();
                result.completeExceptionally(new TooLargeException());
                return;
            }
            s.request(1);
        }

        @Override
        public void onNext(List<ByteBuffer> buffers) {
            for (ByteBuffer b : buffers) {
                int n = b.remaining();
                if (size + (long) n > max) {
                    subscription.cancel();
                    result.completeExceptionally(new TooLargeException());
                    return;
                }
                if (size + n > bytes.length) {
                    bytes = java.util.Arrays.copyOf(bytes, grown(size + n));
                }
                b.get(bytes, size, n);
                size += n;
            }
            subscription.request(1);
        }

        /** The next array length for {@code needed} bytes; needed ≤ max, checked before. */
        private int grown(int needed) {
            long target = declared >= needed ? declared : Math.max(needed, 2L * bytes.length);
            return (int) Math.min(target, max);
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(size == bytes.length ? bytes : java.util.Arrays.copyOf(bytes, size));
        }

        /** The bytes held for the body so far (received or reserved): the memory bound tests read it. */
        int reserved() {
            return bytes.length;
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

    /**
     * A local file (local mode): a regular file only, read up to maxBytes. A device, FIFO or socket (/dev/zero,
     * /dev/stdin, a named pipe) reports size 0 and reads without end; it is refused before it is opened.
     */
    private Fetched file(URI uri) throws IOException {
        Path path = Path.of(uri);
        if (Files.exists(path) && !Files.isRegularFile(path)) {
            return new Fetched(null, "gather.not_a_file", "the file:// URL names a folder, device or pipe, not a file");
        }
        if (Files.size(path) > maxBytes) {
            throw new TooLargeException();
        }
        try (InputStream in = Files.newInputStream(path)) {
            return new Fetched(readCapped(in, maxBytes), null, null);
        }
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
