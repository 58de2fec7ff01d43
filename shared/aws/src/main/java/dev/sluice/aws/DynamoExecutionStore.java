package dev.sluice.aws;

import dev.sluice.core.Ids;
import dev.sluice.core.Json;
import dev.sluice.core.Page;
import dev.sluice.core.PageRequest;
import dev.sluice.core.SluiceException;
import dev.sluice.execution.Execution;
import dev.sluice.execution.ExecutionStore;
import software.amazon.awssdk.services.dynamodb.DynamoDbClient;
import software.amazon.awssdk.services.dynamodb.model.AttributeValue;
import software.amazon.awssdk.services.dynamodb.model.CancellationReason;
import software.amazon.awssdk.services.dynamodb.model.ReturnValuesOnConditionCheckFailure;
import software.amazon.awssdk.services.dynamodb.model.TransactWriteItem;
import software.amazon.awssdk.services.dynamodb.model.TransactionCanceledException;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import static dev.sluice.aws.Dynamo.n;
import static dev.sluice.aws.Dynamo.s;

/**
 * Executions live in the catalog table (pk projectId, sk the execution id): the spec as JSON, the state and the file
 * counters as attributes that workers ADD to. Beside them, in the same table: the identical-execution guard
 * ({@code lock_execution_<sha256 of the identity>}, naming its holder) and a marker per active execution in the
 * {@code #active-executions} partition for the sweep. Settled files are {@link DynamoLedger} rows (pk the execution
 * id, sk {@code file#<index>}), each written once, in one settlement with its counter. State changes are
 * {@link StateTransition}s of the attribute {@code state}; an ending releases the guard and the marker in the same
 * transaction. The output schema the first file fixed is the execution item's attribute {@code outputSchema}.
 */
public final class DynamoExecutionStore implements ExecutionStore {
    static final String ACTIVE_PARTITION = "#active-executions";

    private final DynamoDbClient dynamo;
    private final String catalog;
    private final DynamoLedger ledger;
    private final dev.sluice.core.usage.UsageMeter meter = dev.sluice.core.usage.UsageMeter.process();
    private final DynamoUsageStore usage;

    public DynamoExecutionStore(DynamoDbClient dynamo, SluiceConfig config) {
        this.dynamo = dynamo;
        this.catalog = config.catalogTable();
        this.ledger = new DynamoLedger(dynamo, config.ledgerTable());
        this.usage = new DynamoUsageStore(dynamo, config);
    }

    static String lockId(Execution.Spec spec) {
        return "lock_execution_" + Ids.sha256Hex(spec.identity());
    }

    private static Map<String, AttributeValue> key(String projectId, String id) {
        return Map.of("projectId", s(projectId), "id", s(id));
    }

    @Override
    public void create(Execution e) {
        Execution stored = new Execution(e.id(), e.object(), e.projectId(), e.spec(), null, e.createTime(), e.updateTime(),
                e.metadata());
        Map<String, AttributeValue> item = new HashMap<>(key(e.projectId(), e.id()));
        item.put("doc", s(Json.write(stored)));
        item.put("state", s(e.status().overview().name()));
        item.put("finishedFiles", n(0));
        item.put("failedFiles", n(0));
        item.put("updateTime", n(e.updateTime()));
        String lock = lockId(e.spec());
        List<TransactWriteItem> writes = List.of(
                TransactWriteItem.builder().put(p -> p.tableName(catalog).item(Map.of("projectId", s(e.projectId()),
                                "id", s(lock), "holder", s(e.id())))
                        .conditionExpression("attribute_not_exists(id)")
                        .returnValuesOnConditionCheckFailure(ReturnValuesOnConditionCheckFailure.ALL_OLD)).build(),
                TransactWriteItem.builder().put(p -> p.tableName(catalog).item(item)
                        .conditionExpression("attribute_not_exists(id)")).build(),
                TransactWriteItem.builder().put(p -> p.tableName(catalog).item(Map.of("projectId", s(ACTIVE_PARTITION),
                        "id", s(e.id()), "owner", s(e.projectId())))).build());
        try {
            dynamo.transactWriteItems(b -> b.transactItems(writes));
        } catch (TransactionCanceledException ex) {
            if (Dynamo.failedConditions(ex).get(0)) {
                CancellationReason lockReason = ex.cancellationReasons().get(0);
                String holder = lockReason.item() != null && lockReason.item().containsKey("holder")
                        ? lockReason.item().get("holder").s() : "another execution";
                throw SluiceException.conflict("execution.identical_running", "execution " + holder + " with the same"
                        + " model, build, source folder and destination folder is running; wait for it to end or"
                        + " cancel it");
            }
            throw ex;
        }
    }

    @Override
    public Optional<Execution> get(String projectId, String id) {
        var response = dynamo.getItem(b -> b.tableName(catalog).consistentRead(true).key(key(projectId, id)));
        if (!response.hasItem() || response.item().isEmpty() || !response.item().containsKey("state")) {
            return Optional.empty();
        }
        return Optional.of(execution(response.item()));
    }

    private static Execution execution(Map<String, AttributeValue> item) {
        Execution doc = Json.read(item.get("doc").s(), Execution.class);
        Execution.State state = Execution.State.valueOf(item.get("state").s());
        Long total = item.containsKey("totalFiles") ? Long.valueOf(item.get("totalFiles").n()) : null;
        long finished = Long.parseLong(item.get("finishedFiles").n());
        long failed = Long.parseLong(item.get("failedFiles").n());
        // a file never settled by the end of an execution was skipped
        long skipped = state.isTerminal() && total != null ? total - finished - failed : 0;
        Execution.Status status = new Execution.Status(state, item.containsKey("reason") ? item.get("reason").s() : null,
                total, finished, failed, skipped, optionalLong(item, "startTime"), optionalLong(item, "endTime"),
                optionalLong(item, "hiddenFiles"), item.containsKey("rows") ? Long.parseLong(item.get("rows").n()) : 0,
                item.containsKey("failedRows") ? Long.parseLong(item.get("failedRows").n()) : 0,
                dev.sluice.core.usage.UsageReport.of(UsageAttributes.read(item),
                dev.sluice.core.usage.UsageReport.deploymentRegion()));
        return new Execution(doc.id(), doc.object(), doc.projectId(), doc.spec(), status, doc.createTime(),
                Long.parseLong(item.get("updateTime").n()), doc.metadata());
    }

    private static Long optionalLong(Map<String, AttributeValue> item, String name) {
        return item.containsKey(name) ? Long.valueOf(item.get(name).n()) : null;
    }

    @Override
    public Page<Execution> list(String projectId, PageRequest page, dev.sluice.core.ListFilter filter) {
        return Pages.query(dynamo, catalog, null, "projectId = :p", Map.of(":p", s(projectId)), "id",
                Ids.EXECUTION + "_", page, DynamoExecutionStore::execution, e -> e.listedBy(filter), filter.key());
    }

    @Override
    public boolean startRunning(String projectId, String id, long totalFiles, long now) {
        return startRunning(projectId, id, totalFiles, 0, now);
    }

    @Override
    public boolean startRunning(String projectId, String id, long totalFiles, long hiddenFiles, long now) {
        return StateTransition.of(catalog, key(projectId, id), "state", Set.of(Execution.State.Pending), Execution.State.Running)
                .set("totalFiles", n(totalFiles)).set("hiddenFiles", n(hiddenFiles)).set("startTime", n(now))
                .set("updateTime", n(now)).apply(dynamo);
    }

    @Override
    public boolean transition(String projectId, String id, Set<Execution.State> from, Execution.State to,
                              String reason, long now) {
        StateTransition move = StateTransition.of(catalog, key(projectId, id), "state", from, to).set("updateTime", n(now));
        if (to.isTerminal()) {
            move.set("endTime", n(now));
        }
        if (reason != null) {
            move.set("reason", s(reason));
        }
        if (!to.isTerminal()) {
            return move.apply(dynamo);
        }
        Execution e = get(projectId, id).orElse(null);
        return e != null && from.contains(e.status().overview()) && ended(e, move, release(e), now);
    }

    /**
     * Applies an execution's move to an end state with the usage this process counted for it added, then adds its
     * usage to the project's day ({@link DynamoUsageStore#rollUp}); a move that did not apply gives the usage back.
     */
    private boolean ended(Execution e, StateTransition move, List<TransactWriteItem> with, long now) {
        dev.sluice.core.usage.Usage use = meter.drain(e.id());
        boolean applied;
        try {
            applied = move.add(use).apply(dynamo, with);
        } catch (RuntimeException ex) {
            meter.giveBack(e.id(), use);
            throw ex;
        }
        if (!applied) {
            meter.giveBack(e.id(), use);
            return false;
        }
        try {
            var item = dynamo.getItem(b -> b.tableName(catalog).consistentRead(true).key(key(e.projectId(), e.id()))).item();
            if (item != null) {
                usage.rollUp(e.projectId(), now, UsageAttributes.read(item));
            }
        } catch (RuntimeException ex) {
            // the move stands; only the project's daily sum misses this execution
            org.slf4j.LoggerFactory.getLogger(DynamoExecutionStore.class).warn("usage of {} not added to its project's day", e.id(), ex);
        }
        return true;
    }

    /** Kept on the execution's catalog item, as attribute outputSchema; set once with if_not_exists. */
    @Override
    public String fixSchema(String projectId, String id, String proposal) {
        if (proposal == null) {
            var item = dynamo.getItem(b -> b.tableName(catalog).consistentRead(true).key(key(projectId, id))
                    .projectionExpression("outputSchema")).item();
            return item != null && item.containsKey("outputSchema") ? item.get("outputSchema").s() : null;
        }
        var response = dynamo.updateItem(u -> u.tableName(catalog).key(key(projectId, id))
                .updateExpression("SET outputSchema = if_not_exists(outputSchema, :s)")
                .conditionExpression("attribute_exists(id)")
                .expressionAttributeValues(Map.of(":s", s(proposal)))
                .returnValues(software.amazon.awssdk.services.dynamodb.model.ReturnValue.UPDATED_NEW));
        return response.attributes().get("outputSchema").s();
    }

    /**
     * A file's ledger row with, unless the file was skipped, its counter's ADD on the execution item, conditional on
     * the execution Running; once it ended, its counters are final and the file is settled as skipped.
     */
    @Override
    public boolean settleFile(String projectId, String id, Execution.FileReport file, long now) {
        List<Map<String, AttributeValue>> row = List.of(DynamoLedger.row(id, fileEntry(file.index()), now,
                Map.of("doc", s(Json.write(file)))));
        List<TransactWriteItem> count = new ArrayList<>();
        dev.sluice.core.usage.Usage use = dev.sluice.core.usage.Usage.ZERO;
        if (file.status() != Execution.FileState.Skipped) {
            String counter = file.status() == Execution.FileState.Finished ? "finishedFiles" : "failedFiles";
            // the usage counted for the execution so far rides on the file's counter update (atomic ADD)
            use = meter.drain(id);
            // the rows of the file and its failed rows in the same ADD: the row budget reads them (maxFailedRowRate)
            List<String> adds = new ArrayList<>(List.of(counter + " :one", "#rows :rows", "failedRows :failedRows"));
            Map<String, String> names = new java.util.HashMap<>(Map.of("#s", "state", "#rows", "rows"));
            Map<String, AttributeValue> values = new java.util.HashMap<>(Map.of(":one", n(1), ":now", n(now), ":running", s("Running"),
                    ":rows", n(file.rows() == null ? 0 : file.rows()), ":failedRows", n(file.failedRows() == null ? 0 : file.failedRows())));
            UsageAttributes.add(use, adds, names, values);
            count.add(TransactWriteItem.builder().update(u -> u.tableName(catalog).key(key(projectId, id))
                    .updateExpression("ADD " + String.join(", ", adds) + " SET updateTime = :now")
                    .conditionExpression("#s = :running").expressionAttributeNames(names)
                    .expressionAttributeValues(values)).build());
        }
        DynamoLedger.Outcome settled;
        try {
            settled = ledger.settle(row, count, List.of());
        } catch (RuntimeException ex) {
            meter.giveBack(id, use);
            throw ex;
        }
        if (settled != DynamoLedger.Outcome.APPLIED) {
            meter.giveBack(id, use);
        }
        return switch (settled) {
            case APPLIED -> true;
            case ALREADY_SETTLED -> false;
            case OWNER_CONDITION_FAILED -> settleFile(projectId, id, new Execution.FileReport(file.index(), file.file(),
                    null, Execution.FileState.Skipped, null, null, file.startTime(), file.timeMs(), "execution.ended: the"
                    + " execution ended before this file was settled" + (file.reason() == null ? "" : " (" + file.reason() + ")")), now);
        };
    }

    private static String fileEntry(long index) {
        return String.format("file#%012d", index);
    }

    @Override
    public List<Execution.FileReport> settledFiles(String id, long fromIndex, long toIndex) {
        List<Execution.FileReport> files = new ArrayList<>();
        if (toIndex > fromIndex) {
            ledger.forEachBetween(id, fileEntry(fromIndex), fileEntry(toIndex - 1),
                    row -> files.add(Json.read(row.get("doc").s(), Execution.FileReport.class)));
        }
        return files;
    }

    @Override
    public boolean finishIfComplete(String projectId, String id, long now) {
        Execution e = get(projectId, id).orElse(null);
        if (e == null || e.status().overview() != Execution.State.Running || e.status().totalFiles() == null) {
            return false;
        }
        long finished = e.status().finishedFiles();
        long failed = e.status().failedFiles();
        if (finished + failed != e.status().totalFiles()) {
            return false;
        }
        Execution.State to = failed == 0 ? Execution.State.Finished : Execution.State.Failed;
        String reason = failed == 0 ? null : "execution.files_failed: " + failed + " of " + e.status().totalFiles()
                + " files failed; see the report";
        StateTransition move = StateTransition.of(catalog, key(projectId, id), "state", Set.of(Execution.State.Running), to)
                .set("updateTime", n(now)).set("endTime", n(now))
                .when("finishedFiles = :f AND failedFiles = :x", Map.of(":f", n(finished), ":x", n(failed)));
        if (reason != null) {
            move.set("reason", s(reason));
        }
        try {
            return ended(e, move, release(e), now);
        } catch (TransactionCanceledException ex) {
            return false; // e.g. a conflict with a file's settlement: a later settlement or the sweep finishes it
        }
    }

    /** What an execution's end removes with it: its guard (only if it still holds it) and its active marker. */
    private List<TransactWriteItem> release(Execution e) {
        return List.of(TransactWriteItem.builder().delete(d -> d.tableName(catalog)
                        .key(key(e.projectId(), lockId(e.spec()))).conditionExpression("attribute_not_exists(id) OR holder = :me")
                        .expressionAttributeValues(Map.of(":me", s(e.id())))).build(),
                TransactWriteItem.builder().delete(d -> d.tableName(catalog).key(key(ACTIVE_PARTITION, e.id()))).build());
    }

    @Override
    public List<Execution> active() {
        List<Execution> out = new ArrayList<>();
        Dynamo.forEachRow(dynamo, b -> b.tableName(catalog).keyConditionExpression("projectId = :p")
                .expressionAttributeValues(Map.of(":p", s(ACTIVE_PARTITION))), marker -> {
            get(marker.get("owner").s(), marker.get("id").s()).ifPresent(out::add);
            return true;
        });
        return out;
    }

    /**
     * A slot lease is a ledger row (pk the execution id, sk {@code slot#<k>}) naming its holder and {@code leaseUntil}
     * (epoch ms); taken with one conditional PutItem, freed with a conditional DeleteItem. It expires with the
     * ledger's TTL like the file rows.
     */
    @Override
    public boolean takeSlot(String executionId, int slot, String holder, long untilMillis, long now) {
        try {
            dynamo.putItem(b -> b.tableName(ledger.table()).item(DynamoLedger.row(executionId, slotEntry(slot), now,
                            Map.of("holder", s(holder), "leaseUntil", n(untilMillis))))
                    .conditionExpression("attribute_not_exists(#e) OR holder = :me OR leaseUntil < :now")
                    .expressionAttributeNames(Map.of("#e", DynamoLedger.ENTRY))
                    .expressionAttributeValues(Map.of(":me", s(holder), ":now", n(now))));
            return true;
        } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException taken) {
            return false;
        }
    }

    @Override
    public void releaseSlot(String executionId, int slot, String holder) {
        try {
            dynamo.deleteItem(b -> b.tableName(ledger.table()).key(Map.of(DynamoLedger.OWNER, s(executionId),
                            DynamoLedger.ENTRY, s(slotEntry(slot))))
                    .conditionExpression("holder = :me").expressionAttributeValues(Map.of(":me", s(holder))));
        } catch (software.amazon.awssdk.services.dynamodb.model.ConditionalCheckFailedException notMine) {
            // expired and taken by another holder meanwhile: theirs now
        }
    }

    private static String slotEntry(int slot) {
        return "slot#" + slot;
    }
}
