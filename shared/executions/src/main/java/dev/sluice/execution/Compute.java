package dev.sluice.execution;

import dev.sluice.core.SluiceException;
import dev.sluice.core.Validation;
import dev.sluice.core.pipeline.BatchQueue;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Where an execution's files run, as asked and normalised (the storage-execution reference's instance, pods and
 * purchase option): {@code target} the Lambda inference function (the default) or a task pool; {@code instance} one of
 * the sizes the deployment has for that target (Lambda: a memory size in MiB of the inference function; GpuPool: an
 * EC2 instance type; CpuPool: a Fargate size such as {@code 2vcpu-4gb}); {@code purchaseOption} on-demand or spot
 * capacity (pools only); {@code tasks} at most this many of the execution's files run at once (the reference's pods: no
 * point above the file count), held as leases of the execution's slots ({@link ExecutionStore#takeSlot}).
 */
public record Compute(Target target, String instance, PurchaseOption purchaseOption, int tasks) {
    public enum Target {
        Lambda, GpuPool, CpuPool;

        /** Whether the target is an ECS task pool (whose workers drain on SIGTERM and on a spot interruption). */
        public boolean isPool() {
            return this != Lambda;
        }
    }

    /** Capacity bought on demand, or spare capacity that may be interrupted with a two-minute warning. */
    public enum PurchaseOption { onDemand, spot }

    /** The {@code compute} object of a request, before validation (strings, so each refusal has its own code). */
    public record Request(String target, String instance, String purchaseOption, Integer tasks) {
    }

    /** The queue that carries this execution's file tasks: the inference queue, or the pool queue of its purchase option. */
    public BatchQueue.Name queue() {
        return queue(target, purchaseOption);
    }

    static BatchQueue.Name queue(Target target, PurchaseOption option) {
        boolean spot = option == PurchaseOption.spot;
        return switch (target) {
            case Lambda -> BatchQueue.Name.INFERENCE;
            case GpuPool -> spot ? BatchQueue.Name.GPU_SPOT_TASKS : BatchQueue.Name.GPU_TASKS;
            case CpuPool -> spot ? BatchQueue.Name.CPU_SPOT_TASKS : BatchQueue.Name.CPU_TASKS;
        };
    }

    /**
     * What a deployment offers: for each target it has, its instances (the first is the default). Lambda is always
     * there; a pool is there when the CDK app deployed it ({@code ./sluice deploy --gpu-pool / --cpu-pool}). A pool's
     * purchase option is offered when its queue is configured.
     *
     * @param instances target → instance names, non-empty lists
     */
    public record Offer(Map<Target, List<String>> instances) {
        public Offer {
            instances = Map.copyOf(instances);
        }

        /** Lambda only, at one memory size (MiB). */
        public static Offer lambda(List<String> memorySizes) {
            return new Offer(Map.of(Target.Lambda, List.copyOf(memorySizes)));
        }

        /** This offer with a pool added (a pool with no instances named is left out). */
        public Offer with(Target pool, List<String> poolInstances) {
            if (poolInstances == null || poolInstances.isEmpty()) {
                return this;
            }
            Map<Target, List<String>> all = new EnumMap<>(Target.class);
            all.putAll(instances);
            all.put(pool, List.copyOf(poolInstances));
            return new Offer(all);
        }
    }

    /**
     * The request's compute, normalised and checked against the deployment's offer and the queues it has.
     *
     * @param parallelism the request's top-level {@code parallelism} (null when left out): the same bound as
     *                    {@code tasks}, so giving both with different values is refused
     * @throws SluiceException 400 {@code execution.bad_compute_target}, {@code execution.compute_unavailable},
     *                         {@code execution.bad_instance}, {@code execution.bad_purchase_option},
     *                         {@code execution.bad_tasks}
     */
    static Compute of(Request r, Integer parallelism, Offer offer, BatchQueue queues, int defaultTasks, int maxTasks) {
        Request req = r == null ? new Request(null, null, null, null) : r;
        Target target = Target.Lambda;
        if (req.target() != null) {
            target = null;
            for (Target t : Target.values()) {
                if (t.name().equals(req.target())) {
                    target = t;
                }
            }
            Validation.check(target != null, "execution.bad_compute_target", "compute.target is \"Lambda\" (the"
                    + " default), \"GpuPool\" or \"CpuPool\", not \"" + req.target() + "\"");
        }
        PurchaseOption option = PurchaseOption.onDemand;
        if (req.purchaseOption() != null) {
            option = null;
            for (PurchaseOption o : PurchaseOption.values()) {
                if (o.name().equals(req.purchaseOption())) {
                    option = o;
                }
            }
            Validation.check(option != null, "execution.bad_purchase_option", "compute.purchaseOption is"
                    + " \"onDemand\" (the default) or \"spot\", not \"" + req.purchaseOption() + "\"");
        }
        Validation.check(target.isPool() || option == PurchaseOption.onDemand, "execution.bad_purchase_option",
                "compute.purchaseOption spot is for the task pools (GpuPool, CpuPool); Lambda has no spot capacity");
        List<String> instances = offer.instances().get(target);
        if (instances == null || !queues.configured(queue(target, option))) {
            throw SluiceException.invalid("execution.compute_unavailable", "this deployment has no "
                    + (target.isPool() ? target + (option == PurchaseOption.spot ? " (spot)" : "") + "; the operator"
                    + " enables it with ./sluice deploy --" + (target == Target.GpuPool ? "gpu-pool" : "cpu-pool")
                    : target.name()) + "; it has " + offer.instances().keySet().stream().sorted().toList());
        }
        String instance = req.instance() == null ? instances.get(0) : req.instance();
        Validation.check(instances.contains(instance), "execution.bad_instance", "compute.instance of " + target
                + " is one of " + instances + " on this deployment, not \"" + instance + "\"");
        if (req.tasks() != null && parallelism != null) {
            Validation.check(req.tasks().equals(parallelism), "execution.bad_tasks", "compute.tasks and parallelism"
                    + " are the same bound (files run at once): give one of them");
        }
        int tasks = req.tasks() != null ? req.tasks() : parallelism != null ? parallelism : defaultTasks;
        Validation.check(tasks >= 1 && tasks <= maxTasks, "execution.bad_tasks", "compute.tasks (files run at once)"
                + " must be 1.." + maxTasks);
        return new Compute(target, instance, option, tasks);
    }
}
