package io.soma.streams.topologies.budget;

import io.soma.streams.avro.ProjectionCalibration;
import org.junit.jupiter.api.Test;

import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

class ProjectionCalibratorTest {
    private static final int SCORED = ProjectionCalibrator.CHECKPOINTS - 1;

    private final ProjectionCalibration calibration = ProjectionCalibrator.empty();

    @Test
    void shouldScoreEachCheckpointAsTheLogRatioOfTheTotalToItsConstantRateProjection() {
        // 10 spent by each hour's end, then 760 in the last hour: every checkpoint projected 240, the day spent 990
        closeSteadyDay(10, 990);

        assertThat(calibration.getScores()).hasSize(SCORED)
                .allSatisfy(score -> assertThat(score).isCloseTo((float) Math.log(990.0 / 240), within(1e-6f)));
        assertThat(calibration.getCheckpoints()).as("the next period starts empty").isEmpty();
        Optional<ProjectionCalibrator.Correction> correction = ProjectionCalibrator.at(calibration, 0.5);
        assertThat(correction).isPresent();
        assertThat(correction.get().lower()).isCloseTo(Math.log(990.0 / 240), within(1e-6));
        assertThat(correction.get().upper()).isCloseTo(Math.log(990.0 / 240), within(1e-6));
    }

    @Test
    void shouldNotScoreCheckpointsBeforeAnySpendNorAPeriodObservedOnlyFromPartWay() {
        ProjectionCalibrator.pass(calibration, 0.5, 0);
        ProjectionCalibrator.close(calibration, 100, true);
        assertThat(calibration.getScores().subList(0, 12)).allSatisfy(score -> assertThat(score).isNaN());
        assertThat(calibration.getScores().subList(12, SCORED)).noneSatisfy(score -> assertThat(score).isNaN());

        ProjectionCalibrator.pass(calibration, 0.5, 50);
        ProjectionCalibrator.close(calibration, 100, false);
        assertThat(calibration.getScores()).hasSize(SCORED);
    }

    @Test
    void shouldWaitForEnoughScoresBeforeCorrecting() {
        ProjectionCalibrator.pass(calibration, 22.0 / 24, 0);
        ProjectionCalibrator.close(calibration, 100, true);

        assertThat(calibration.getScores()).filteredOn(score -> !score.isNaN()).hasSize(1);
        assertThat(ProjectionCalibrator.at(calibration, 0.95)).isEmpty();
    }

    @Test
    void shouldWidenTheIntervalAfterMissesAndKeepOnlyTheLastPeriods() {
        closeSteadyDay(10, 240);
        assertThat(calibration.getMiscoverage()).as("nothing to score the first day's intervals with")
                .isCloseTo(0.2, within(1e-12));

        // a day ten times busier than its projections: every checkpoint's interval (the first day's: 240) misses
        closeSteadyDay(10, 2400);

        assertThat(calibration.getMiscoverage()).isCloseTo(0.2 - SCORED * ProjectionCalibrator.ADAPTATION_RATE * 0.8,
                within(1e-12));
        ProjectionCalibrator.Correction widest = ProjectionCalibrator.at(calibration, 0.5).orElseThrow();
        assertThat(widest.lower()).isCloseTo(0, within(1e-6));
        assertThat(widest.upper()).isCloseTo(Math.log(10), within(1e-6));
        for (int day = 0; day < 2 * ProjectionCalibrator.PERIODS; day++) {
            closeSteadyDay(10, 240);
        }
        assertThat(calibration.getScores()).as("bounded").hasSize(ProjectionCalibrator.PERIODS * SCORED);
    }

    /** A day spending {@code hourly} an hour, recorded at every checkpoint, that ends with {@code total}. */
    private void closeSteadyDay(double hourly, double total) {
        for (int hour = 1; hour < ProjectionCalibrator.CHECKPOINTS; hour++) {
            ProjectionCalibrator.pass(calibration, hour / 24.0, hourly * hour);
        }
        ProjectionCalibrator.close(calibration, total, true);
    }
}
