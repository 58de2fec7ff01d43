package dev.sluice.core;

import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.junit.AnalyzeClasses;
import com.tngtech.archunit.junit.ArchTest;
import com.tngtech.archunit.lang.ArchRule;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;
import static com.tngtech.archunit.library.Architectures.layeredArchitecture;
import static com.tngtech.archunit.library.dependencies.SlicesRuleDefinition.slices;

/**
 * The package rules of the core (issue 16): no package cycle, layers with no import running back up, no AWS,
 * Lambda, Quarkus or CDI type anywhere in the domain, and logging through SLF4J only. Checked on the compiled main classes (ArchUnit reads bytecode,
 * so fully-qualified references count as imports do).
 *
 * <p>Where a new package goes, bottom to top (a layer may use the layers below it, never one above):
 * <ol>
 *   <li>Base: {@code dev.sluice.core} (Json, Ids, Clock, Validation, paging, errors) and {@code net}
 *       (OutboundGuard), {@code observe} and {@code usage} (UsageMeter, the dated price table, LambdaSizing);</li>
 *   <li>Contracts: {@code port} (Catalog, ObjectStore, SecretStore) and {@code pipeline} (the queue messages, their
 *       kinds and routing, Stage, the BatchQueue port);</li>
 *   <li>Catalogue: {@code auth}, {@code model}, {@code webhook}, {@code destination}, {@code deployment}, {@code dataset} (resources the
 *       API creates; each owns its port, e.g. ApiKeyStore in auth), {@code idempotency} (the API's replayed creates);</li>
 *   <li>Jobs: {@code job} (Job, JobStore, counters, completion);</li>
 *   <li>Stages: {@code fanout}, {@code inference}, {@code delivery} (the pipeline's workers);</li>
 *   <li>Operations: {@code deadletter}, {@code schedule} (reach every stage; executions, in their own module
 *       {@code shared/executions}, only through {@code pipeline.ExecutionTasks}).</li>
 * </ol>
 */
@AnalyzeClasses(packages = "dev.sluice.core", importOptions = ImportOption.DoNotIncludeTests.class)
class CoreArchitectureTest {

    @ArchTest
    static final ArchRule noPackageCycles = slices().matching("dev.sluice.core.(**)").should().beFreeOfCycles();

    @ArchTest
    static final ArchRule noCloudOrFrameworkTypes = noClasses().that().resideInAPackage("dev.sluice.core..")
            .should().dependOnClassesThat().resideInAnyPackage("software.amazon..", "com.amazonaws..", "io.quarkus..",
                    "jakarta..", "javax.inject..", "javax.enterprise..")
            .because("the domain stays free of AWS and framework types: adapters live in shared/aws, handlers in functions/");

    @ArchTest
    static final ArchRule logsThroughSlf4j = noClasses().that().resideInAPackage("dev.sluice.core..")
            .should().dependOnClassesThat().resideInAnyPackage("java.util.logging..", "org.jboss.logging..")
            .orShould().dependOnClassesThat().areAssignableTo(System.Logger.class)
            .because("one way to log: SLF4J, whose MDC carries the ids of LogScope into every JSON line (issue 25)");

    @ArchTest
    static final ArchRule layers = layeredArchitecture().consideringOnlyDependenciesInLayers()
            .layer("Base").definedBy("dev.sluice.core", "dev.sluice.core.net..", "dev.sluice.core.observe..", "dev.sluice.core.usage..")
            .layer("Contracts").definedBy("dev.sluice.core.port..", "dev.sluice.core.pipeline..")
            .layer("Catalogue").definedBy("dev.sluice.core.auth..", "dev.sluice.core.model..",
                    "dev.sluice.core.webhook..", "dev.sluice.core.destination..", "dev.sluice.core.secret..", "dev.sluice.core.deployment..", "dev.sluice.core.dataset..",
                    "dev.sluice.core.idempotency..")
            .layer("Jobs").definedBy("dev.sluice.core.job..")
            .layer("Stages").definedBy("dev.sluice.core.fanout..", "dev.sluice.core.inference..",
                    "dev.sluice.core.delivery..")
            .layer("Operations").definedBy("dev.sluice.core.deadletter..", "dev.sluice.core.schedule..")
            .whereLayer("Base").mayNotAccessAnyLayer()
            .whereLayer("Contracts").mayOnlyAccessLayers("Base")
            .whereLayer("Catalogue").mayOnlyAccessLayers("Base", "Contracts")
            .whereLayer("Jobs").mayOnlyAccessLayers("Base", "Contracts", "Catalogue")
            .whereLayer("Stages").mayOnlyAccessLayers("Base", "Contracts", "Catalogue", "Jobs")
            .whereLayer("Operations").mayOnlyAccessLayers("Base", "Contracts", "Catalogue", "Jobs", "Stages")
            .ensureAllClassesAreContainedInArchitecture();
}
