package dev.sluice.infra;

import io.github.cdklabs.cdknag.NagPackSuppression;
import io.github.cdklabs.cdknag.NagSuppressions;
import software.amazon.awscdk.Stack;

import java.util.List;

/**
 * The cdk-nag findings (AwsSolutions pack) that Sluice accepts, each with the reason. Everything else the pack reports
 * fails synthesis's checks (SluiceStackTest.cdkNag_awsSolutions_hasNoUnsuppressedFinding).
 */
final class Checks {
    private Checks() {
    }

    static void suppressJustified(Stack stack) {
        NagSuppressions.addStackSuppressions(stack, List.<NagPackSuppression>of(), true);
    }

    private static NagPackSuppression because(String id, String reason) {
        return NagPackSuppression.builder().id(id).reason(reason).build();
    }
}
