package dev.sluice.infra;

import software.amazon.awscdk.Duration;
import software.amazon.awscdk.services.cloudwatch.Alarm;
import software.amazon.awscdk.services.cloudwatch.ComparisonOperator;
import software.amazon.awscdk.services.cloudwatch.IMetric;
import software.amazon.awscdk.services.cloudwatch.MetricOptions;
import software.amazon.awscdk.services.cloudwatch.TreatMissingData;
import software.amazon.awscdk.services.cloudwatch.actions.SnsAction;
import software.amazon.awscdk.services.sns.Topic;
import software.amazon.awscdk.services.sns.subscriptions.EmailSubscription;
import software.constructs.Construct;

/** Alarms on every DLQ's depth and every function's errors, to an SNS topic (and an e-mail, if given). */
final class Observability extends Construct {
    private final Topic topic;

    Observability(Construct scope, String id, SluiceStack.Settings settings) {
        super(scope, id);
        // TLS only for publishers (cdk-nag AwsSolutions-SNS3)
        topic = Topic.Builder.create(this, "Alarms").enforceSsl(true).build();
        if (settings.alarmEmail() != null) {
            topic.addSubscription(new EmailSubscription(settings.alarmEmail()));
        }
    }

    String topicArn() {
        return topic.getTopicArn();
    }

    void alarmOnDeadLetters(WorkQueues queues) {
        queues.deadLetters.forEach((name, dlq) -> alarm(name + "DeadLetters",
                dlq.metricApproximateNumberOfMessagesVisible(MetricOptions.builder().period(Duration.minutes(1)).build()),
                "messages in the " + name + " DLQ: inspect and redrive them"));
    }

    void alarmOnErrors(Functions functions) {
        for (var fn : functions.all()) {
            alarm(fn.getNode().getId() + "Errors", fn.metricErrors(MetricOptions.builder().period(Duration.minutes(5)).build()),
                    "the function failed invocations (infrastructure errors: item failures are counted, not thrown)");
        }
    }

    void alarm(String id, IMetric metric, String description) {
        Alarm alarm = Alarm.Builder.create(this, id).metric(metric).threshold(0)
                .comparisonOperator(ComparisonOperator.GREATER_THAN_THRESHOLD).evaluationPeriods(1)
                .treatMissingData(TreatMissingData.NOT_BREACHING).alarmDescription(description).build();
        alarm.addAlarmAction(new SnsAction(topic));
    }
}
