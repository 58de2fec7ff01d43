package dev.sluice.execution;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * Where the executions module stands (see README "How it works"): beside jobs on the core, with no AWS or framework
 * type. It uses the core's base, contracts (pipeline, port), catalogue (models) and the inference stage's fetcher and
 * predictors; it never reaches jobs, the other stages or the operations, and the operations reach it only through
 * {@code pipeline.ExecutionTasks}, which {@link ExecutionService} implements (the core cannot import this module:
 * Maven's module graph forbids it).
 */
@AnalyzeClasses(packages = "dev.sluice", importOptions = ImportOption.DoNotIncludeTests.class)
class ExecutionsArchitectureTest {

    @ArchTest
    static final ArchRule noCloudOrFrameworkTypes = noClasses().that().resideInAPackage("dev.sluice.execution..")
            .should().dependOnClassesThat().resideInAnyPackage("software.amazon..", "com.amazonaws..", "io.quarkus..",
                    "jakarta..", "javax.inject..", "javax.enterprise..")
            .because("executions are domain: adapters live in shared/aws and shared/tables, handlers in functions/");

    @ArchTest
    static final ArchRule besideJobsNotAboveThem = noClasses().that().resideInAPackage("dev.sluice.execution..")
            .should().dependOnClassesThat().resideInAnyPackage("dev.sluice.core.job..", "dev.sluice.core.fanout..",
                    "dev.sluice.core.delivery..", "dev.sluice.core.deadletter..", "dev.sluice.core.schedule..")
            .because("jobs and executions are two families on one core; what they share lives in the core");
}
