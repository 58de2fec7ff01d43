package dev.sluice.core.net;

import java.net.http.HttpClient;
import java.util.function.Supplier;

/**
 * One {@link HttpClient} whose pool is dropped when a kept-alive connection turns out closed by the peer before a
 * byte of the answer ("HTTP/1.1 header parser received no bytes", an EOF): a server closes an idle connection at its
 * own idle timeout, and a client that reuses it at that moment gets no answer. The request was not read (a server
 * answers or closes before reading; it never reads and then closes without a byte), so it is sent again at once on a
 * new connection, as OkHttp's {@code retryOnConnectionFailure} does. The pool may hold several connections closed
 * the same way (on a busy machine the client notices the closes late), so the request goes out on a fresh client,
 * not on the next pooled connection; requests in flight on the old one finish.
 */
public final class FreshConnections {
    private final Supplier<HttpClient> factory;
    private volatile HttpClient current;

    public FreshConnections(Supplier<HttpClient> factory) {
        this.factory = factory;
        this.current = factory.get();
    }

    public HttpClient client() {
        return current;
    }

    /** After {@code failed} met a stale connection: later requests use a fresh client (once per failed client). */
    public void renew(HttpClient failed) {
        synchronized (this) {
            if (current != failed) {
                return; // another request renewed it already
            }
            current = factory.get();
        }
        failed.shutdown();
    }

    /** True when the failure is a kept-alive connection closed by the peer before any byte of the answer. */
    public static boolean staleConnection(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            // the JDK client's words for an EOF before the first byte of the status line (Http1Response)
            if (t.getMessage() != null && t.getMessage().contains("header parser received no bytes")) {
                return true;
            }
        }
        return false;
    }
}
