package dev.sluice.core.usage;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A Fargate task's size, as the CPU pool names it ({@code <n>vcpu-<m>gb}, e.g. {@code 2vcpu-4gb}: the CDK app's
 * {@code cpuTaskSize}). Fargate bills a task by its vCPUs and its memory, each per hour
 * (<a href="https://aws.amazon.com/fargate/pricing/">AWS Fargate pricing</a>), so a pool task's price follows its size.
 *
 * @param vcpu     vCPUs (≥ 1)
 * @param memoryGb memory, GB (≥ 1)
 */
public record FargateSize(int vcpu, int memoryGb) {
    private static final Pattern NAME = Pattern.compile("([1-9][0-9]?)vcpu-([1-9][0-9]{0,2})gb");
    /** The CDK app's default CPU pool task size ({@code infra-cdk/cdk.json} {@code cpuTaskSize}). */
    public static final FargateSize DEFAULT = new FargateSize(2, 4);

    /** The size a name gives, or null when the name is not {@code <n>vcpu-<m>gb}. */
    public static FargateSize parse(String name) {
        Matcher m = name == null ? null : NAME.matcher(name);
        return m != null && m.matches() ? new FargateSize(Integer.parseInt(m.group(1)), Integer.parseInt(m.group(2))) : null;
    }

    /**
     * The deployment's CPU pool task size: the first of {@code SLUICE_CPU_INSTANCES} (the CDK app sets it where it
     * deploys the CPU pool), else {@link #DEFAULT} (no pool, or {@code sluice local}'s task worker).
     */
    public static FargateSize deployed() {
        String sizes = System.getenv("SLUICE_CPU_INSTANCES");
        FargateSize size = sizes == null ? null : parse(sizes.split(",", -1)[0].trim());
        return size != null ? size : DEFAULT;
    }

    /** The task's price per hour at a region's Fargate prices (Linux, x86_64, on demand), US dollars. */
    public double hourUsd(PriceTable.Prices p) {
        return vcpu * p.fargateVcpuHour() + memoryGb * p.fargateGbHour();
    }

    @Override
    public String toString() {
        return vcpu + "vcpu-" + memoryGb + "gb";
    }
}
