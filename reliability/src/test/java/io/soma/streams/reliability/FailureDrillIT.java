package io.soma.streams.reliability;

import io.soma.streams.testkit.TestPaths;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The failure drill at CI size (see {@link Drill}; docs/reliability.md has a full-size run): kill -9 and restart of
 * an app instance and of a broker, Redis and PostgreSQL outages, all under load, then nothing lost or duplicated.
 */
class FailureDrillIT {

    /**
     * About 3 minutes on 2 cores (docs/testing.md), twice that on a busy machine: longer than the suite's per-test
     * default.
     */
    @Test
    @Timeout(value = 12, unit = TimeUnit.MINUTES)
    void shouldDecideEveryEventExactlyOnceThroughInstanceBrokerRedisAndPostgresFailures() throws Exception {
        Drill.Settings defaults = Drill.Settings.fromSystemProperties();
        Drill.Settings settings = new Drill.Settings(
                TestPaths.newWorkDir("drill"), TestPaths.dataDir(), defaults.events(), defaults.ratePerSecond(), defaults.instances(),
                defaults.brokers(), defaults.partitions(), defaults.lockedTenants(), defaults.instanceHeap());
        DrillReport report = Drill.run(settings);

        // clean: every event in, one decision each, the archive equal to the topic, every lock and forecast
        // answered by every instance, the Redis mirrors back, one audit per lock
        assertThat(report.clean()).as(report.markdown()).isTrue();
        assertThat(report.eventsAcked()).as("the load ran").isPositive();
        assertThat(report.decidedWhileRedisDown()).as("processing goes on without Redis").isPositive();
        assertThat(report.forecastQueries()).as("forecasts were asked for").isPositive();
    }
}
