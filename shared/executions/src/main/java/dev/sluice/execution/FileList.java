package dev.sluice.execution;

import dev.sluice.core.Json;
import dev.sluice.core.port.ObjectStore;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The listing of an execution's source files, kept in the data bucket: one chunk per listing page, named by the index
 * of its first file, and an index of the chunks written when the listing is complete. File i is the i-th matching file
 * in listing order, which is how tasks, the report and the chain of tasks name files.
 */
public final class FileList {
    private final ObjectStore objects;
    /** Complete listings are immutable; cache their chunk index and chunks per container. */
    private final Map<String, long[]> starts = new ConcurrentHashMap<>();
    private final Map<String, List<String>> chunks = new ConcurrentHashMap<>();

    public FileList(ObjectStore objects) {
        this.objects = objects;
    }

    public void writeChunk(String projectId, String id, long first, List<String> names) {
        objects.put(dev.sluice.core.ObjectKeys.executionFilesChunk(projectId, id, first),
                Json.write(names).getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
    }

    /**
     * Written last, once the listing (and its continuations) wrote every chunk: the first index of every chunk, in
     * order, found by listing the chunks.
     */
    public void complete(String projectId, String id) {
        List<Long> firsts = objects.keys(dev.sluice.core.ObjectKeys.executionFiles(projectId, id)).stream()
                .map(k -> k.substring(k.lastIndexOf('/') + 1))
                .filter(n -> n.matches("[0-9]{12}\\.json"))
                .map(n -> Long.parseLong(n.substring(0, 12))).sorted().toList();
        objects.put(dev.sluice.core.ObjectKeys.executionFilesIndex(projectId, id),
                Json.write(firsts).getBytes(java.nio.charset.StandardCharsets.UTF_8), "application/json");
    }

    /** The names of files fromIndex (inclusive) to toIndex (exclusive), fewer at the end of the listing. */
    public List<String> names(String projectId, String id, long fromIndex, long toIndex) {
        if (starts.size() > 256) {
            starts.clear();
        }
        long[] firsts = starts.computeIfAbsent(id, k -> Arrays.stream(Json.read(new String(
                objects.read(dev.sluice.core.ObjectKeys.executionFilesIndex(projectId, id)), java.nio.charset.StandardCharsets.UTF_8),
                long[].class)).toArray());
        List<String> out = new ArrayList<>();
        int c = Arrays.binarySearch(firsts, fromIndex);
        c = c >= 0 ? c : -c - 2;
        for (; c >= 0 && c < firsts.length && out.size() < toIndex - fromIndex; c++) {
            long first = firsts[c];
            if (chunks.size() > 256) {
                chunks.clear();
            }
            List<String> chunk = chunks.computeIfAbsent(id + "/" + first, k -> List.of(Json.read(new String(
                    objects.read(dev.sluice.core.ObjectKeys.executionFilesChunk(projectId, id, first)),
                    java.nio.charset.StandardCharsets.UTF_8), String[].class)));
            for (int i = (int) Math.max(0, fromIndex - first); i < chunk.size() && first + i < toIndex; i++) {
                out.add(chunk.get(i));
            }
        }
        return out;
    }
}
