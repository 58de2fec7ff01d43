package dev.sluice.local;

import org.apache.pekko.actor.ActorRef;
import org.apache.pekko.actor.ActorSystem;
import org.apache.pekko.actor.Props;
import org.apache.pekko.pattern.Patterns;
import org.elasticmq.actor.QueueManagerActor;
import org.elasticmq.actor.queue.QueueEvent;
import org.elasticmq.persistence.sql.SqlQueuePersistenceActor;
import org.elasticmq.persistence.sql.SqlQueuePersistenceConfig;
import org.elasticmq.rest.sqs.SQSRestServerBuilder;
import org.elasticmq.rest.sqs.TheSQSRestServerBuilder;
import org.elasticmq.util.NowProvider;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * ElasticMQ with its queues and messages kept in an H2 database file: the wiring ElasticMQ's own server does for
 * {@code messages-storage { enabled = true }} (ElasticMQServer in elasticmq-server 1.7.1: a SqlQueuePersistenceActor
 * as the queue manager's event listener, and a Restore of the stored queues at start), done here for the embedded
 * REST server. The persistence actor answers each message change only after writing it, so an SQS call has been
 * stored when it answers; {@code WRITE_DELAY=0} makes H2 hand each commit to the file at once, so a killed JVM
 * (not a lost machine: there is no fsync per commit) loses nothing that was acknowledged.
 */
final class PersistentQueues {
    private static final String LISTENER = "sluice-queue-store";
    private static final String MANAGER = "sluice-queue-manager";

    private PersistentQueues() {
    }

    static TheSQSRestServerBuilder wire(TheSQSRestServerBuilder builder, ActorSystem system, Path dir) {
        String url = "jdbc:h2:file:" + dir.resolve("elasticmq").toAbsolutePath() + ";WRITE_DELAY=0";
        releaseInFlight(url, System.currentTimeMillis());
        SqlQueuePersistenceConfig config = SqlQueuePersistenceConfig.apply(true, "org.h2.Driver", url, "sa", "", false);
        ActorRef store = system.actorOf(Props.create(SqlQueuePersistenceActor.class, config,
                scala.collection.immutable.List$.MODULE$.empty()), LISTENER);
        ActorRef manager = system.actorOf(Props.create(QueueManagerActor.class, new NowProvider(),
                SQSRestServerBuilder.sqsLimits(), scala.Option.apply(store)), MANAGER);
        return builder.withActorSystem(system).withQueueManagerActor(manager).withQueueEventListener(store);
    }

    /**
     * Makes the messages that were received before the stack stopped visible again ({@code next_delivery} = now),
     * before ElasticMQ reads them back: their consumers were the stopped stack's threads, and the restarted stack is
     * the only consumer left, so waiting out their visibility timeouts (6–12 min locally) would only stall the jobs
     * (issue 20 item 8). A message never received keeps its delay. A message whose visibility a consumer had extended
     * as a back-off (a webhook retry) comes back early, once: at-least-once delivery allows it, and the exactly-once
     * counters and idempotency keys take care of a repeat.
     *
     * @return how many messages were made visible
     */
    static int releaseInFlight(String jdbcUrl, long nowMillis) {
        if (!java.nio.file.Files.exists(Path.of(jdbcUrl.substring("jdbc:h2:file:".length(), jdbcUrl.indexOf(';')) + ".mv.db"))) {
            return 0; // a first start: nothing stored
        }
        int released = 0;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(jdbcUrl, "sa", "")) {
            java.util.List<String> tables = new java.util.ArrayList<>();
            try (var rs = c.createStatement().executeQuery("SELECT TABLE_NAME FROM INFORMATION_SCHEMA.TABLES"
                    + " WHERE TABLE_SCHEMA = 'PUBLIC' AND UPPER(TABLE_NAME) LIKE 'MESSAGE\\_%'")) {
                while (rs.next()) {
                    tables.add(rs.getString(1));
                }
            }
            for (String table : tables) {
                try (var update = c.prepareStatement("UPDATE \"" + table.replace("\"", "\"\"")
                        + "\" SET next_delivery = ? WHERE receive_count > 0 AND next_delivery > ?")) {
                    update.setLong(1, nowMillis);
                    update.setLong(2, nowMillis);
                    released += update.executeUpdate();
                }
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot release the in-flight messages of " + jdbcUrl + ": " + e.getMessage(), e);
        }
        return released;
    }

    /** Recreates the stored queues and their messages in the queue manager (as ElasticMQServer's restoreQueues). */
    static void restore(ActorSystem system) throws Exception {
        ActorRef store = resolve(system, LISTENER);
        ActorRef manager = resolve(system, MANAGER);
        CompletionStage<Object> restored = Patterns.ask(store, new QueueEvent.Restore(manager), Duration.ofMinutes(2));
        Object result = restored.toCompletableFuture().get(2, TimeUnit.MINUTES);
        if (result instanceof scala.util.Left<?, ?> errors) {
            throw new IllegalStateException("ElasticMQ could not restore its queues: " + errors.value());
        }
    }

    private static ActorRef resolve(ActorSystem system, String name) throws Exception {
        return system.actorSelection("/user/" + name).resolveOne(Duration.ofSeconds(30)).toCompletableFuture()
                .get(1, TimeUnit.MINUTES);
    }
}
