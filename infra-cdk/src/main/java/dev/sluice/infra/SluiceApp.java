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
        new SluiceStack(app, "Sluice", StackProps.builder()
                .env(Environment.builder()
                        .account(System.getenv("CDK_DEFAULT_ACCOUNT"))
                        .region(System.getenv("CDK_DEFAULT_REGION")).build())
                .description("Sluice: serverless batch inference").build(), SluiceStack.Settings.from(app));
        app.synth();
    }
}
