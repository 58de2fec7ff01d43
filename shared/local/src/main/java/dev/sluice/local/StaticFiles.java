package dev.sluice.local;

import com.sun.net.httpserver.HttpServer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Serves the files of one folder over HTTP on loopback: an image host for local jobs. Missing files are 404.
 *
 * <p>As a real host's static server answers from the page cache, the bytes of a file are kept after its first request
 * (while the files kept total at most {@value #CACHE_BYTES} bytes; a file past that is read at every request) and
 * each answer is one write of them: no read and no fresh array per request, so a benchmark of the fetching side does
 * not also measure this stand-in's file reads. A file changed since (another size or modification time) is read again.
 */
public final class StaticFiles implements AutoCloseable {
    static final long CACHE_BYTES = 256L << 20;

    private record Kept(long size, FileTime modified, byte[] bytes) {
    }

    private final HttpServer server;
    private final ConcurrentMap<Path, Kept> kept = new ConcurrentHashMap<>();
    private final AtomicLong keptBytes = new AtomicLong();

    public StaticFiles(Path folder) {
        try {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1000);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/", exchange -> {
            try (exchange) {
                String name = exchange.getRequestURI().getPath().substring(1);
                Path file = folder.resolve(name).normalize();
                if (!file.startsWith(folder) || !Files.isRegularFile(file)) {
                    exchange.sendResponseHeaders(404, -1);
                    return;
                }
                byte[] bytes = bytes(file);
                exchange.sendResponseHeaders(200, bytes.length);
                exchange.getResponseBody().write(bytes);
            }
        });
        server.start();
    }

    /** The file's bytes: kept ones while the file's size and modification time are unchanged, else read now. */
    private byte[] bytes(Path file) throws IOException {
        BasicFileAttributes attributes = Files.readAttributes(file, BasicFileAttributes.class);
        Kept k = kept.get(file);
        if (k != null && k.size() == attributes.size() && k.modified().equals(attributes.lastModifiedTime())) {
            return k.bytes();
        }
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length == attributes.size() && keptBytes.addAndGet(bytes.length) <= CACHE_BYTES) {
            Kept old = kept.put(file, new Kept(attributes.size(), attributes.lastModifiedTime(), bytes));
            if (old != null) {
                keptBytes.addAndGet(-old.bytes().length);
            }
        } else if (bytes.length == attributes.size()) {
            keptBytes.addAndGet(-bytes.length); // over the budget: not kept
        }
        return bytes;
    }

    public String url(String name) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/" + name;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
