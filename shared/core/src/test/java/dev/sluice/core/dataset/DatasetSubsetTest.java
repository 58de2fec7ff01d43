package dev.sluice.core.dataset;

import dev.sluice.core.fakes.FakeCatalog;
import dev.sluice.core.fakes.FakeClock;
import dev.sluice.core.port.ObjectStore;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.BitSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Memory by input (CHECKLISTS): a retry, a redrive or a sample run copies the chosen lines of a dataset into a dataset
 * of their own, on the api function (or in {@code sluice local}, the one JVM every project shares). The copy was
 * gathered in a byte array, so a retry of every failed line of a large dataset held them all (a 5 GB dataset: the API
 * out of memory). Now it streams: a child JVM with a 32 MiB heap copies every line of a 101 MiB dataset.
 */
class DatasetSubsetTest {
    static final int LINES = 26_000;
    static final int PAD = 4_000;

    @Test
    void aSubsetOfEveryLine_ofADatasetThreeTimesTheHeap_isCopiedInBoundedMemory() throws Exception {
        assertTrue(Child.size() > 3L * 32 * 1024 * 1024, "the dataset is over three times the child's heap");
        String java = ProcessHandle.current().info().command().orElse("java");
        Process p = new ProcessBuilder(java, "-Xmx32m", "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"),
                Child.class.getName()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the child ends");
        assertTrue(out.contains("copied " + LINES + " lines, " + Child.size() + " bytes"), out);
    }

    /** The child JVM: one subset of every line of a generated dataset, read and written as streams. */
    public static final class Child {
        static String line(int i) {
            return "{\"kind\":\"Image\",\"url\":\"https://images.example.com/" + i + ".jpg\",\"id\":\""
                    + "x".repeat(PAD) + "\"}\n";
        }

        static long size() {
            long n = 0;
            for (int i = 0; i < LINES; i++) {
                n += line(i).length();
            }
            return n;
        }

        public static void main(String[] args) {
            FakeCatalog catalog = new FakeCatalog();
            long[] written = {-1, -1};
            ObjectStore objects = new GeneratedDataset() {
                @Override
                public void put(String key, long length, Supplier<InputStream> content, String contentType) {
                    long bytes = 0;
                    long lines = 0;
                    byte[] buffer = new byte[64 * 1024];
                    try (InputStream in = content.get()) {
                        int n;
                        while ((n = in.read(buffer)) > 0) {
                            bytes += n;
                            for (int i = 0; i < n; i++) {
                                lines += buffer[i] == '\n' ? 1 : 0;
                            }
                        }
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                    if (bytes != length) {
                        throw new IllegalStateException(length + " bytes declared, " + bytes + " sent");
                    }
                    written[0] = lines;
                    written[1] = bytes;
                }

                @Override
                public Optional<ObjectInfo> head(String key) {
                    return Optional.of(new ObjectInfo(written[1], "\"copy\""));
                }
            };
            DatasetService datasets = new DatasetService(catalog, objects, null, new FakeClock());
            Dataset source = new Dataset("dataset_big", Dataset.OBJECT, "big", "proj_a",
                    new Dataset.Source(Dataset.Source.UPLOADED_NDJSON),
                    new Dataset.Status(Dataset.State.Ready, null, (long) LINES, size(), "\"v1\"", null), 1, 1);
            catalog.put("proj_a", source.id(), source);
            BitSet every = new BitSet();
            every.set(0, LINES);
            Dataset copy = datasets.subset("proj_a", source.id(), every, "retry of every line", "batchjob_copy1");
            System.out.println("copied " + written[0] + " lines, " + written[1] + " bytes; itemCount "
                    + copy.status().itemCount());
        }
    }

    /** A dataset file made as it is read (never held); every other call is not one a subset makes. */
    abstract static class GeneratedDataset implements ObjectStore {
        @Override
        public InputStream open(String key, long fromOffset, String ifMatchEtag) {
            return new InputStream() {
                int next;
                byte[] current = new byte[0];
                int at;

                private boolean fill() {
                    if (at == current.length) {
                        if (next == LINES) {
                            return false;
                        }
                        current = Child.line(next++).getBytes(StandardCharsets.UTF_8);
                        at = 0;
                    }
                    return true;
                }

                @Override
                public int read() {
                    return fill() ? current[at++] & 0xff : -1;
                }

                @Override
                public int read(byte[] b, int off, int len) {
                    if (len == 0) {
                        return 0;
                    }
                    if (!fill()) {
                        return -1;
                    }
                    int n = Math.min(len, current.length - at);
                    System.arraycopy(current, at, b, off, n);
                    at += n;
                    return n;
                }
            };
        }

        @Override
        public UploadUrl presignPut(String key, String contentType, Duration ttl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public String presignGet(String key, Duration ttl) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] read(String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] read(String key, String ifMatchEtag) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void put(String key, byte[] bytes, String contentType) {
            throw new UnsupportedOperationException("the copy is held whole: " + bytes.length + " bytes");
        }

        @Override
        public long deletePrefix(String prefix) {
            throw new UnsupportedOperationException();
        }

        @Override
        public void delete(String key) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<String> keys(String prefix) {
            throw new UnsupportedOperationException();
        }

        @Override
        public List<String> keys(String prefix, String startAfter, int max) {
            throw new UnsupportedOperationException();
        }

        @Override
        public byte[] readItem(String bucket, String key, long maxBytes) {
            throw new UnsupportedOperationException();
        }
    }
}
