package dev.eddy.api.arch;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import dev.eddy.platform.Platform;
import dev.eddy.platform.ShardIteratorRequest;
import dev.eddy.platform.StreamMetrics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static com.tngtech.archunit.base.DescribedPredicate.not;
import static com.tngtech.archunit.core.domain.JavaClass.Predicates.belongToAnyOf;
import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

/**
 * The layering that must hold by itself: {@code api} sees only {@code platform}'s published package (no
 * {@code platform.impl}, no {@code eventstore} type, so storage failures reach it as platform exceptions), the
 * platform's published package does not hand out its implementation, and the store is used through its SPI
 * package, its backends picked only by {@code Platform}; {@code projections} is held to the same published
 * package as {@code api}.
 */
class ArchitectureTest {

    private static JavaClasses main;

    @BeforeAll
    static void importClasses() {
        main = new ClassFileImporter().withImportOption(ImportOption.Predefined.DO_NOT_INCLUDE_TESTS)
                .importPackages("dev.eddy");
    }

    @Test
    void apiUsesOnlyThePlatformsPublishedPackage() {
        ArchRule rule = noClasses().that().resideInAPackage("dev.eddy.api..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.eddy.eventstore..", "dev.eddy.platform.impl..")
                .because("api talks to the platform's interfaces only; storage is the platform's business");
        rule.check(main);
    }

    @Test
    void projectionsUseOnlyThePlatformsPublishedPackage() {
        ArchRule rule = noClasses().that().resideInAPackage("dev.eddy.projections..")
                .should().dependOnClassesThat().resideInAnyPackage("dev.eddy.eventstore..", "dev.eddy.platform.impl..",
                        "dev.eddy.api..")
                .because("projections sit beside api on the platform's published interfaces (feeds, metadata) only");
        rule.check(main);
    }

    @Test
    void theProjectionsModuleIsPresent() {
        // The rule above would pass vacuously if the projections' classes were not on the classpath.
        org.junit.jupiter.api.Assertions.assertTrue(main.containPackage("dev.eddy.projections"));
    }

    @Test
    void theStoreIsUsedThroughItsSpi() {
        ArchRule rule = noClasses().that().resideOutsideOfPackage("dev.eddy.eventstore..")
                .and(not(belongToAnyOf(Platform.class)))
                .should().dependOnClassesThat().resideInAnyPackage("dev.eddy.eventstore.mapdb..",
                        "dev.eddy.eventstore.memory..", "dev.eddy.eventstore.postgres..", "dev.eddy.eventstore.impl..")
                .because("a backend is a plug-in behind the eventstore SPI (dev.eddy.eventstore.spi); only Platform"
                        + " picks one, through EventStores");
        rule.check(main);
    }

    @Test
    void platformsPublishedTypesDoNotExposeTheEventStore() {
        ArchRule rule = noClasses().that().resideInAPackage("dev.eddy.platform")
                .and(not(belongToAnyOf(Platform.class, StreamMetrics.class, ShardIteratorRequest.class)))
                .should().dependOnClassesThat().resideInAnyPackage("dev.eddy.eventstore..", "dev.eddy.platform.impl..")
                .because("the published package is what api and the modules beside it (projections, sinks) may use;"
                        + " Platform wires the implementation, StreamMetrics observes the store's writes, ShardIteratorRequest"
                + " reads an iterator's stream for metrics labels");
        rule.check(main);
    }
}
