package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetAudit;
import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetLedger;
import io.soma.streams.schemas.Topics;
import io.soma.streams.schemas.serde.SchemaRegistryClient;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.ProvisionedStack;
import io.soma.streams.topologies.TestDriverSettings;
import io.soma.streams.topologies.forecast.PriceTable;
import io.soma.streams.topologies.runtime.AppSerdes;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The budget topology on a test driver, whose wall clock the test moves, with the real schema registry (hence an
 * IT): the timer reads the ledgers the due index names, and a task's first check indexes a ledger written before
 * the index existed.
 */
class BudgetAppTopologyIT {
    /** A minute before midnight UTC, when the daily budgets below reset. */
    private static final Instant START = Instant.parse("2026-03-10T23:59:00Z");
    private static final Instant MIDNIGHT = Instant.parse("2026-03-11T00:00:00Z");
    private static final Duration CHECK_INTERVAL = Duration.ofSeconds(1);
    private static final LedgerSettings SETTINGS = new LedgerSettings(PriceTable.defaults(), Duration.ofMinutes(5), 1024);
    private static AppSerdes serdes;
    private TopologyTestDriver driver;
    private TestInputTopic<String, BudgetDefinition> definitions;
    private TestOutputTopic<String, BudgetAudit> audits;
    private KeyValueStore<String, BudgetLedger> ledgers;
    private KeyValueStore<String, String> due;

    @BeforeAll
    static void registry() {
        serdes = new AppSerdes(new SchemaRegistryClient(ProvisionedStack.shared().schemaRegistryUrl()));
    }

    @BeforeEach
    void start() {
        Properties props = TestDriverSettings.of("budget-topology-test", TestPaths.newWorkDir("budget-topology"));
        BudgetApp.Config config = new BudgetApp.Config(SETTINGS, CHECK_INTERVAL, Duration.ofHours(1));
        driver = new TopologyTestDriver(BudgetApp.build(config, serdes), props, START);
        definitions = driver.createInputTopic(Topics.BUDGET_DEFINITIONS.name(), new StringSerializer(),
                serdes.value(Topics.BUDGET_DEFINITIONS).serializer());
        audits = driver.createOutputTopic(Topics.BUDGET_AUDIT.name(), new StringDeserializer(),
                serdes.value(Topics.BUDGET_AUDIT).deserializer());
        ledgers = driver.getKeyValueStore(BudgetApp.LEDGER_STORE);
        due = driver.getKeyValueStore(BudgetApp.DUE_STORE);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    @Test
    void shouldIndexAndResetALedgerWrittenBeforeTheDueIndexAtTheFirstCheck() {
        // as the app wrote it before the index: in the ledger store, with no due entry
        ledgers.put("legacy", dailyLedger("legacy"));

        driver.advanceWallClockTime(Duration.ofMinutes(2));

        assertThat(audits.readValuesToList()).singleElement().satisfies(a -> {
            assertThat(a.getTenant()).isEqualTo("legacy");
            assertThat(a.getAction()).isEqualTo(TenantLedger.RESET);
        });
        assertThat(due.get(BudgetApp.dueKey(MIDNIGHT.plus(Duration.ofDays(1)), "legacy"))).isEqualTo("legacy");
    }

    @Test
    void shouldReadOnlyTheLedgersTheIndexNamesAfterTheFirstCheck() {
        definitions.pipeInput(BudgetApp.budgetKey("indexed", "daily"), Budgets.daily("indexed", "daily", 1000).build());
        assertThat(due.get(BudgetApp.dueKey(MIDNIGHT, "indexed"))).isEqualTo("indexed");
        driver.advanceWallClockTime(CHECK_INTERVAL);
        audits.readValuesToList();
        // written behind the index's back after the first check: a timer scanning every ledger would reset it too
        ledgers.put("unindexed", dailyLedger("unindexed"));
        // an entry no ledger write moves (as a version ignoring the index leaves): read once, then dropped
        String stale = BudgetApp.dueKey(START, "gone");
        due.put(stale, "gone");

        driver.advanceWallClockTime(Duration.ofMinutes(2));

        assertThat(due.get(stale)).isNull();
        assertThat(audits.readValuesToList()).singleElement().satisfies(a -> {
            assertThat(a.getTenant()).isEqualTo("indexed");
            assertThat(a.getAction()).isEqualTo(TenantLedger.RESET);
        });
        assertThat(due.get(BudgetApp.dueKey(MIDNIGHT, "indexed"))).as("moved to the next midnight").isNull();
        assertThat(due.get(BudgetApp.dueKey(MIDNIGHT.plus(Duration.ofDays(1)), "indexed"))).isEqualTo("indexed");
    }

    /** A tenant's ledger with a daily UTC budget defined at the start, its period ending at midnight. */
    private static BudgetLedger dailyLedger(String tenant) {
        TenantLedger ledger = TenantLedger.of(null, tenant, OpenReservations.inMemory(), RecentIds.none(), SETTINGS);
        ledger.define(Budgets.daily(tenant, "daily", 1000).build(), START);
        return ledger.state();
    }
}
