package io.soma.streams.tools.forecast;

import io.soma.streams.devstack.LocalStack;
import io.soma.streams.testkit.TestPaths;
import io.soma.streams.topologies.forecast.ForecastReplay;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The streaming harness on the real broker and registry: real ServeGen windows through the forecast app. The size
 * is {@code -Dsoma.forecast.replay.tenants} (5 here; 147 is the whole trace).
 */
class ForecastReplayEvaluationIT {
    private static ForecastReplay replay;

    @BeforeAll
    static void setUp() {
        LocalStack stack = LocalStack.shared();
        ForecastReplayEvaluation.provision(stack.bootstrapServers(), stack.schemaRegistryUrl());
        replay = new ForecastReplay(stack.bootstrapServers(), stack.schemaRegistryUrl());
        // the trace's 2025 timestamps are far older than a default retention keeps
        replay.keepRecordsOfAnyAge();
    }

    @AfterAll
    static void tearDown() {
        if (replay != null) {
            replay.close();
        }
    }

    @Test
    void shouldReplayServeGenThroughTheTopologyWithExactWindowsAndTheOfflineModel() {
        // not a @TempDir: deleting it under an app whose close ran out of time would fail the test
        Path stateDir = TestPaths.newWorkDir("forecast-replay");
        int tenants = Integer.getInteger("soma.forecast.replay.tenants", 5);

        ForecastReplayEvaluation.Report report = ForecastReplayEvaluation.run(replay,
                ServeGenForecastEvaluationTest.servegen(), tenants, stateDir);

        System.out.println("forecast replay harness:\n" + report);
        assertThat(report.closedWindows()).isPositive();
        assertThat(report.usageTokens()).isEqualTo(report.inputTokensOfClosedWindows());
        assertThat(report.everyWindowExact()).isTrue();
        assertThat(report.tenantsMatchingOffline()).isEqualTo(report.tenants()).isEqualTo(tenants);
        assertThat(report.exact()).as("what the command line's exit code says").isTrue();
        assertThat(report.scoredForecasts()).isPositive();
        assertThat(report.coverage()).isBetween(0.0, 1.0);
    }
}
