package dev.sluice.bench;

import dev.sluice.core.Json;
import dev.sluice.core.inference.Predictor;
import dev.sluice.core.model.Model;
import dev.sluice.inference.ClassificationPreprocessor;
import dev.sluice.inference.ImageDecoder;
import dev.sluice.inference.OnnxPredictor;
import dev.sluice.local.Samples;
import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;

/**
 * Real camera photos (samples/large, 1600-2560 px JPEGs): Sluice's decode + preprocess per photo in both decode modes
 * against Pillow with draft mode, a local job over them against a Python script of Pillow draft + ONNX Runtime on the
 * same photos and thread count (bench/python/pillow_draft.py), and the compute floor: decode + preprocess vs ORT per
 * image, with the model's busy share of the wall time, and the "savvy" script that decodes in worker processes while
 * ONNX Runtime runs (issue 26's reference: the job should reach 1.0× of it and 1.5× of the plain one). The Python rows say "skipped" when python3, Pillow or
 * onnxruntime is missing.
 */
final class PhotoBench {
    private PhotoBench() {
    }

    static Path folder() {
        return Samples.root().resolve("large");
    }

    static List<String> photos() throws IOException {
        try (Stream<Path> files = Files.list(folder())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".jpg")).sorted().toList();
        }
    }

    static Model model(String decode) {
        Model.Preprocess p = Model.Preprocess.IMAGENET;
        return new Model("model_bench", Model.OBJECT, "mobilenet", "proj_bench", Model.Task.ImageClassification,
                new Model.Source(Model.Source.UPLOADED_ONNX), new Model.Preprocess(p.resizeShortSide(), p.cropSize(),
                p.mean(), p.std(), p.topK(), null, null, null, null, decode), Samples.imagenetLabels(),
                new Model.Status(Model.State.Ready, null, "bench", 1L, null), 0, 0);
    }

    /** Best (fastest) single-thread decode + preprocess of one photo over the rounds, in ms: the least disturbed run. */
    static double decodePreprocessMs(byte[] photo, Model model, int rounds) throws Exception {
        ClassificationPreprocessor pre = new ClassificationPreprocessor(model.preprocess());
        ImageDecoder.Options options = ImageDecoder.Options.of(model);
        float[] out = new float[pre.floatsPerItem()];
        for (int i = 0; i < 3; i++) {
            pre.preprocess(ImageDecoder.decode(photo, options), out, 0);
        }
        double[] ms = new double[rounds];
        for (int i = 0; i < rounds; i++) {
            long t = System.nanoTime();
            pre.preprocess(ImageDecoder.decode(photo, options), out, 0);
            ms[i] = (System.nanoTime() - t) / 1e6;
        }
        Arrays.sort(ms);
        return ms[0];
    }

    /** Runs bench/python/pillow_draft.py; its JSON, or {"skipped": why}. */
    static JsonNode python(String... args) {
        Path script = Samples.root().getParent().resolve("bench/python/pillow_draft.py");
        List<String> command = new ArrayList<>(List.of("python3", script.toString()));
        command.addAll(List.of(args));
        try {
            Process process = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.DISCARD).start();
            String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            process.waitFor();
            return out.isEmpty() ? Json.tree("{\"skipped\":\"the script printed nothing (exit " + process.exitValue() + ")\"}")
                    : Json.tree(out.substring(out.lastIndexOf('\n') + 1));
        } catch (IOException e) {
            return Json.tree("{\"skipped\":\"no python3\"}");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Json.tree("{\"skipped\":\"interrupted\"}");
        }
    }

    static void addTo(Table table, boolean quick, int threads) throws Exception {
        List<String> names = photos();
        List<Path> paths = names.stream().map(n -> folder().resolve(n)).toList();
        Model fast = model(Model.Preprocess.DECODE_FAST);
        Model exact = model(Model.Preprocess.DECODE_EXACT);
        int rounds = quick ? 5 : 15;
        JsonNode pillow = python(Stream.concat(Stream.of("decode"), paths.stream().map(Path::toString)).toArray(String[]::new));
        double fastSum = 0;
        for (int i = 0; i < names.size(); i++) {
            byte[] bytes = Files.readAllBytes(paths.get(i));
            double f = decodePreprocessMs(bytes, fast, rounds);
            double e = decodePreprocessMs(bytes, exact, rounds);
            fastSum += f;
            JsonNode p = pillow.path("photos").path(names.get(i));
            String value = String.format("fast %.1f ms, exact %.1f ms; Pillow-draft %s", f, e,
                    p.isNumber() ? String.format("%.1f ms", p.asDouble()) : "skipped (" + pillow.path("skipped").asText() + ")");
            table.add("photos", "decode + preprocess, 1 thread (best of " + rounds + "): " + names.get(i), value,
                    "fast ≤ 1.0 × Pillow-draft", p.isNumber() ? f <= p.asDouble() : null);
        }

        // the compute floor on these photos: the predictor's loop, photos in memory, batches of 32
        int items = quick ? 480 : 960; // the job and both scripts: enough that the job's fixed latencies (≈2.5 s) weigh little
        byte[] onnx = Samples.bytes(Samples.classifier());
        List<byte[]> bytes = new ArrayList<>();
        for (Path p : paths) {
            bytes.add(Files.readAllBytes(p));
        }
        double ortMs = FloorBench.ortMs(onnx, 32, threads);
        double perImage = fastSum / names.size();
        table.add("photos", "compute floor: decode + preprocess (fast, 1 thread) vs ORT per image",
                String.format("%.2f vs %.2f ms = %.1f×", perImage, ortMs, perImage / ortMs), "stretch ≤ 2×",
                perImage / ortMs <= 2);
        try (OnnxPredictor predictor = new OnnxPredictor(m -> onnx, threads)) {
            List<Predictor.Input> warm = new ArrayList<>();
            for (int i = 0; i < 32; i++) {
                warm.add(new Predictor.Input(i, bytes.get(i % bytes.size())));
            }
            predictor.predict(fast, warm);
            long busy = predictor.modelBusyNanos();
            long start = System.nanoTime();
            List<Predictor.Prepared> pending = new ArrayList<>();
            for (int done = 0; done < items; done += 32) {
                List<Predictor.Input> batch = new ArrayList<>();
                for (int i = done; i < Math.min(items, done + 32); i++) {
                    batch.add(new Predictor.Input(i, bytes.get(i % bytes.size())));
                }
                pending.add(predictor.prepare(fast, batch)); // as BatchProcessor: the next decoded while one runs
                if (pending.size() == 2) {
                    pending.remove(0).predict();
                }
            }
            pending.forEach(Predictor.Prepared::predict);
            double wall = (System.nanoTime() - start) / 1e9;
            double busyShare = (predictor.modelBusyNanos() - busy) / 1e9 / wall;
            table.add("photos", String.format("predictor loop, %d items, %d threads: items/s, model busy / wall", items, threads),
                    String.format("%.1f items/s, model busy %.0f%%", items / wall, 100 * busyShare), null, null);
        }

        // the inference stage alone (loopback HTTP, no emulators) against the physical limit of this machine
        InferenceStageBench.Result stage = InferenceStageBench.run(folder(), names, onnx, fast, quick ? 2 : 4, threads);
        table.add("photos", "per photo CPU: decode + preprocess (1 thread) / ONNX Runtime (batch 32, spinning off)",
                String.format("%.2f / %.2f ms → physical limit %d cores ÷ %.2f ms = %.1f items/s", stage.decodeCpuMs(),
                        stage.ortCpuMs(), threads, stage.decodeCpuMs() + stage.ortCpuMs(), stage.limitItemsPerSecond()),
                null, null);
        table.add("photos", String.format("inference stage alone: invocations of %d photos over loopback HTTP, no emulators",
                        stage.photosPerInvocation()),
                String.format("%.1f items/s = %.2f of the limit; %.2f CPU-ms per photo (decode + ORT = %.2f of it),"
                                + " cores %.0f%% busy, %.0f ms to the first batch's items", stage.itemsPerSecond(),
                        stage.ofLimit(), stage.cpuMsPerPhoto(), stage.cpuOfLimit(), 100 * stage.utilisation(),
                        stage.idleMsPerInvocation()), "≥ 0.85 of the limit", stage.ofLimit() >= 0.85);

        PipelineBench.Result job = PipelineBench.run(items, 32, folder(), names);
        LambdaCosts.addTo(table, stage, Costs.orchestrationPerMillion(job.requests(), job.items()));
        JsonNode script = python(Stream.concat(Stream.of("job", Samples.classifier().toString(), "" + threads, "" + items),
                paths.stream().map(Path::toString)).toArray(String[]::new));
        boolean ran = script.has("items_per_second");
        table.add("photos", String.format("local-stack job of %d items over these photos (%s, create → Finished)",
                        items, job.overview()),
                String.format("%.1f items/s; Pillow-draft + ORT script %s", job.itemsPerSecond(), ran
                        ? String.format("%.1f items/s", script.get("items_per_second").asDouble())
                        : "skipped (" + script.path("skipped").asText() + ")"),
                "≥ the script", ran ? job.itemsPerSecond() >= script.get("items_per_second").asDouble() : null);
        // the savvy script: decoding in worker processes while ONNX Runtime runs (issue 26's reference)
        JsonNode savvy = python(Stream.concat(Stream.of("savvy", Samples.classifier().toString(), "" + threads, "" + items),
                paths.stream().map(Path::toString)).toArray(String[]::new));
        boolean savvyRan = savvy.has("items_per_second");
        table.add("photos", String.format("local-stack job vs the savvy script (decode in %d processes while ORT runs)", threads),
                savvyRan ? String.format("%.1f vs %.1f items/s = %.2f×; vs the plain script %s", job.itemsPerSecond(),
                        savvy.get("items_per_second").asDouble(), job.itemsPerSecond() / savvy.get("items_per_second").asDouble(),
                        ran ? String.format("%.2f×", job.itemsPerSecond() / script.get("items_per_second").asDouble()) : "skipped")
                        : "skipped (" + savvy.path("skipped").asText() + ")",
                "≥ 1.0× savvy, ≥ 1.5× plain", savvyRan && ran
                        ? job.itemsPerSecond() >= savvy.get("items_per_second").asDouble()
                        && job.itemsPerSecond() >= 1.5 * script.get("items_per_second").asDouble() : null);
        table.add("photos", "job per item: gather / preprocess / predict (payload timings)",
                String.format("%.2f / %.2f / %.2f ms", job.gatherMs(), job.preprocessMs(), job.predictMs()), null, null);
    }
}
