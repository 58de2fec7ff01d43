package dev.sluice.bench;

import dev.sluice.aws.Components;
import dev.sluice.core.Json;
import dev.sluice.core.fanout.FanoutService;
import dev.sluice.local.LocalProvisioner;
import dev.sluice.core.pipeline.FanoutMessage;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The fan-out function's work in a JVM of its own: consumes the fanout queue (each message as one Lambda invocation
 * with a 30 s budget, so large datasets go through continuations) until it is empty, then prints
 * {@code RESULT <ms> <peak heap MiB> <peak RSS MiB> <invocations>}.
 */
public final class FanoutProbe {
    private FanoutProbe() {
    }

    public static void main(String[] args) throws Exception {
        var clients = LocalProvisioner.clients(URI.create(args[0]), URI.create(args[1]), URI.create(args[2]), List.of());
        // the fan-out function's composition: its resource names and tunables from this process's environment
        Components services = Components.fromEnvironment(clients.dynamo(), clients.sqs(), clients.s3(), null);
        FanoutService fanout = services.fanout();
        String queue = services.config().fanoutQueueUrl();
        long start = System.nanoTime();
        int invocations = 0;
        while (true) {
            var messages = clients.sqs().receiveMessage(b -> b.queueUrl(queue).waitTimeSeconds(1)).messages();
            if (messages.isEmpty()) {
                break;
            }
            var m = messages.get(0);
            long invocationEnd = System.currentTimeMillis() + 30_000;
            fanout.handle(Json.read(m.body(), FanoutMessage.class), () -> invocationEnd - System.currentTimeMillis());
            clients.sqs().deleteMessage(b -> b.queueUrl(queue).receiptHandle(m.receiptHandle()));
            invocations++;
        }
        long ms = (System.nanoTime() - start) / 1_000_000 - 1000; // the last, empty receive waited 1 s
        double heapPeak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                heapPeak += pool.getPeakUsage().getUsed();
            }
        }
        double rss = 0;
        for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
            if (line.startsWith("VmHWM:")) {
                rss = Double.parseDouble(line.replaceAll("[^0-9]", "")) / 1024;
            }
        }
        System.out.printf("RESULT %d %.1f %.1f %d%n", ms, heapPeak / (1 << 20), rss, invocations);
        System.exit(0);
    }
}
