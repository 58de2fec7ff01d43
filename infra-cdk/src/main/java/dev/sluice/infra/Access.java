package dev.sluice.infra;

import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What each role does with the five tables and the data bucket (issue 28: least privilege): the one declaration the
 * CDK grants are made from ({@link Functions}, {@link GpuPool}) and {@code template.yaml}'s policies are checked
 * against (SamTemplateTest). Read from the code each role runs (its wiring in {@code functions/<name>} asks
 * {@code dev.sluice.aws.Components} for the parts it uses) and the DynamoDB and S3 requests of those parts' adapters
 * ({@code shared/aws}):
 * <ul>
 * <li>jobs ({@code DynamoJobStore}, {@code DynamoUsageStore}): GetItem, BatchGetItem (a job read whole: its item and
 * its counter item), UpdateItem (state moves, commits' counters, usage roll-ups) wherever a job can end; PutItem (a
 * created job), Query (a project's jobs), BatchGetItem (usage days) and DeleteItem (a deleted job) in the API; Query on {@code byActive} in the scheduler (and the API: a dataset
 * delete waits for the jobs that reserved it).</li>
 * <li>ledger ({@code DynamoLedger}): GetItem, PutItem (settlements in TransactWriteItems) and Query (a job's result
 * parts at its end) wherever a batch or file settles or a job ends; BatchWriteItem (a deleted job's rows) in the API.
 * No UpdateItem or DeleteItem: ledger rows are written once.</li>
 * <li>logs: PutItem (each commit's log entries) wherever a batch settles; Query (reading logs and items) and
 * BatchWriteItem (a deleted job's rows) in the API.</li>
 * <li>catalog ({@code DynamoCatalog}, {@code DynamoExecutionStore}, {@code DynamoIdempotencyStore}): GetItem and
 * PutItem (a finished job's throughput history: {@code Throughput.History}) wherever a job can end; UpdateItem and
 * DeleteItem where executions' files settle and executions end (fan-out, inference, scheduler, API); Query in the
 * API (listings) and the scheduler (the {@code bySweep} index, active executions).</li>
 * <li>keys ({@code DynamoApiKeyStore}): the API only.</li>
 * </ul>
 * Scan, DescribeTable, ConditionCheckItem and the stream actions are granted to no one: no code makes them.
 */
final class Access {
    private Access() {
    }

    /** The tables, as {@code DataStore} makes them. */
    enum Table { JOBS, CATALOG, KEYS, LEDGER, LOGS }

    /** The DynamoDB actions the adapters make (a TransactWriteItems needs PutItem/UpdateItem/DeleteItem per item). */
    enum Op {
        GET("dynamodb:GetItem"), QUERY("dynamodb:Query"), BATCH_GET("dynamodb:BatchGetItem"),
        PUT("dynamodb:PutItem"), UPDATE("dynamodb:UpdateItem"), DELETE("dynamodb:DeleteItem"),
        BATCH_WRITE("dynamodb:BatchWriteItem");

        final String action;

        Op(String action) {
            this.action = action;
        }
    }

    /**
     * What a role does under a prefix of the data bucket: GetObject (and HeadObject), PutObject, DeleteObject (and
     * DeleteObjects). Where it reads, it may also list the prefix ({@code s3:ListBucket} with an {@code s3:prefix}
     * condition): S3 answers a read of a missing key 404 only to a caller that may list it, 403 otherwise
     * (https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html, Permissions), and the code tells "not
     * there" from "refused" by the 404. A listing granted under the key's prefix is enough for the 404 (observed by
     * kopia's maintainers, kopia/kopia#3072; AWS documents the bucket-level rule only). A write-only prefix is never
     * read, so it is not listed.
     */
    enum Objects {
        READ(List.of("s3:GetObject"), true), WRITE(List.of("s3:PutObject"), false),
        READ_WRITE(List.of("s3:GetObject", "s3:PutObject", "s3:DeleteObject"), true);

        final List<String> actions;
        final boolean lists;

        Objects(List<String> actions, boolean lists) {
            this.actions = actions;
            this.lists = lists;
        }
    }

    /** The roles: the five functions, the GPU pool's workers, and the task pools' workers (executions' files). */
    enum Role { API, FANOUT, INFERENCE, DELIVERY, SCHEDULER, GPU_WORKER, TASK_WORKER }

    /** A job is read whole (its item and its counter item) with one BatchGetItem. */
    private static final Set<Op> SETTLE_JOBS = EnumSet.of(Op.GET, Op.BATCH_GET, Op.UPDATE);
    private static final Set<Op> SETTLE_LEDGER = EnumSet.of(Op.GET, Op.QUERY, Op.PUT);

    /** Each role's actions per table; a table a role does not name is not granted to it. */
    static Map<Table, Set<Op>> tables(Role role) {
        Map<Table, Set<Op>> t = new EnumMap<>(Table.class);
        switch (role) {
            case API -> {
                t.put(Table.JOBS, EnumSet.of(Op.GET, Op.QUERY, Op.BATCH_GET, Op.PUT, Op.UPDATE, Op.DELETE));
                t.put(Table.LEDGER, EnumSet.of(Op.GET, Op.QUERY, Op.PUT, Op.BATCH_WRITE));
                t.put(Table.LOGS, EnumSet.of(Op.QUERY, Op.PUT, Op.BATCH_WRITE));
                t.put(Table.CATALOG, EnumSet.of(Op.GET, Op.QUERY, Op.PUT, Op.UPDATE, Op.DELETE));
                t.put(Table.KEYS, EnumSet.of(Op.GET, Op.PUT, Op.UPDATE));
            }
            // the task pools' workers run executions' files as inference does (files settled, slot leases taken)
            case FANOUT, INFERENCE, TASK_WORKER -> {
                t.put(Table.JOBS, SETTLE_JOBS);
                t.put(Table.LEDGER, SETTLE_LEDGER);
                t.put(Table.LOGS, EnumSet.of(Op.PUT));
                t.put(Table.CATALOG, EnumSet.of(Op.GET, Op.PUT, Op.UPDATE, Op.DELETE));
            }
            case DELIVERY, GPU_WORKER -> {
                t.put(Table.JOBS, SETTLE_JOBS);
                t.put(Table.LEDGER, SETTLE_LEDGER);
                t.put(Table.LOGS, EnumSet.of(Op.PUT));
                t.put(Table.CATALOG, EnumSet.of(Op.GET, Op.PUT));
            }
            case SCHEDULER -> {
                t.put(Table.JOBS, EnumSet.of(Op.GET, Op.QUERY, Op.BATCH_GET, Op.UPDATE));
                t.put(Table.LEDGER, SETTLE_LEDGER);
                t.put(Table.LOGS, EnumSet.of(Op.PUT));
                t.put(Table.CATALOG, EnumSet.of(Op.GET, Op.QUERY, Op.PUT, Op.UPDATE, Op.DELETE));
            }
        }
        return t;
    }

    static final String DATASETS = dev.sluice.core.ObjectKeys.DATASETS;
    static final String MODELS = dev.sluice.core.ObjectKeys.MODELS;
    static final String EXECUTIONS = dev.sluice.core.ObjectKeys.EXECUTIONS;
    static final String RESULTS = dev.sluice.core.ObjectKeys.RESULTS;
    static final String DELIVERIES = dev.sluice.core.ObjectKeys.DELIVERIES;

    /**
     * Each role's prefixes of the data bucket ({@code dev.sluice.core.ObjectKeys} names the layout), never the whole
     * bucket: {@code results/} wherever a job can end (results parts, claim-checked payloads, manifest, errors file).
     */
    static Map<String, Objects> prefixes(Role role) {
        Map<String, Objects> p = new LinkedHashMap<>();
        switch (role) {
            // datasets and models are uploaded (presigned PUTs signed by this role), checked, sampled and deleted;
            // executions' reports read; webhook deliveries listed and replayed
            case API -> List.of(DATASETS, MODELS, EXECUTIONS, DELIVERIES).forEach(k -> p.put(k, Objects.READ_WRITE));
            // datasets are validated and fanned out; executions' file lists are written
            case FANOUT -> List.of(DATASETS, EXECUTIONS).forEach(k -> p.put(k, Objects.READ_WRITE));
            // the ONNX files are read; executions' file lists are read
            case INFERENCE, TASK_WORKER -> List.of(MODELS, EXECUTIONS).forEach(k -> p.put(k, Objects.READ));
            // each round of POSTs is recorded (DeliveryLog)
            case DELIVERY -> p.put(DELIVERIES, Objects.WRITE);
            // dead letters: a fan-out accounted (datasets), a job retried (its model checked), an execution's task
            // abandoned (its file list); expired datasets deleted
            case SCHEDULER -> {
                List.of(DATASETS, EXECUTIONS).forEach(k -> p.put(k, Objects.READ_WRITE));
                p.put(MODELS, Objects.READ);
            }
            case GPU_WORKER -> p.put(MODELS, Objects.READ);
        }
        p.put(RESULTS, Objects.READ_WRITE);
        return p;
    }
}
