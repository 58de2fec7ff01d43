package dev.sluice.infra;

import software.amazon.awscdk.App;
import software.amazon.awscdk.Environment;
import software.amazon.awscdk.StackProps;

/** `cdk synth` / `cdk deploy` entry point. Parameters come from context (cdk.json, or -c key=value). */
public final class SluiceApp {
    private SluiceApp() {
    }

    public static void main(String[] args) {
        App app = new App();
        new SluiceStack(app, stackName(app.getNode().tryGetContext("stage")), StackProps.builder()
                .env(Environment.builder()
                        .account(System.getenv("CDK_DEFAULT_ACCOUNT"))
                        .region(System.getenv("CDK_DEFAULT_REGION")).build())
                .description("Sluice: serverless batch inference").build(), SluiceStack.Settings.from(app));
        // cdk-nag's AwsSolutions pack on every synthesis: `cdk synth`/`deploy` and `./sluice deploy --dry-run` print
        // an unsuppressed finding as an error (the tests fail on one: SluiceStackTest)
        software.amazon.awscdk.Aspects.of(app).add(new io.github.cdklabs.cdknag.AwsSolutionsChecks());
        app.synth();
    }

    /**
     * {@code Sluice}, or {@code Sluice-<stage>} for {@code -c stage=NAME} (several deployments in one account and
     * region); a stage is 1 to 20 letters, digits or hyphens starting with a letter (a CloudFormation stack name).
     */
    static String stackName(Object stage) {
        if (stage == null || stage.toString().isEmpty()) {
            return "Sluice";
        }
        if (!stage.toString().matches("[A-Za-z][A-Za-z0-9-]{0,19}")) {
            throw new IllegalArgumentException("stage: " + stage + " must be 1 to 20 letters, digits or hyphens, "
                    + "starting with a letter");
        }
        return "Sluice-" + stage;
    }
}
