package dev.sluice.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.Message;

import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Issue 20 item 8: a stack restarted on its data directory is the only consumer of the messages its previous run had
 * received, so they are visible again at once, not after their visibility timeout (720 s here); a message that was
 * never received keeps its delay.
 */
class RestartReleasesInFlightTest {

    @Test
    void aMessageInFlightWhenTheStackStopped_isVisibleAtOnceAfterTheRestart(@TempDir Path dataDir) {
        String queueUrl;
        try (EmulatorStack first = EmulatorStack.start(dataDir)) {
            SqsClient sqs = LocalProvisioner.clients(first, List.of()).sqs();
            queueUrl = sqs.createQueue(b -> b.queueName("work").attributes(java.util.Map.of(
                    software.amazon.awssdk.services.sqs.model.QueueAttributeName.VISIBILITY_TIMEOUT, "720"))).queueUrl();
            sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody("in-flight"));
            sqs.sendMessage(b -> b.queueUrl(queueUrl).messageBody("delayed").delaySeconds(900));
            List<Message> taken = sqs.receiveMessage(b -> b.queueUrl(queueUrl).maxNumberOfMessages(10).waitTimeSeconds(5))
                    .messages();
            assertEquals(List.of("in-flight"), taken.stream().map(Message::body).toList());
            // the stack stops with the message received and not deleted (its consumer is gone)
        }
        try (EmulatorStack second = EmulatorStack.start(dataDir)) {
            SqsClient sqs = LocalProvisioner.clients(second, List.of()).sqs();
            String url = sqs.getQueueUrl(b -> b.queueName("work")).queueUrl();
            List<Message> again = sqs.receiveMessage(b -> b.queueUrl(url).maxNumberOfMessages(10).waitTimeSeconds(10))
                    .messages();
            assertEquals(List.of("in-flight"), again.stream().map(Message::body).toList(),
                    "the in-flight message comes back at once; the delayed one keeps its delay");
            assertTrue(Integer.parseInt(again.get(0).attributesAsStrings().getOrDefault("ApproximateReceiveCount", "2")) >= 1);
        }
    }
}
