package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetPeriodKind;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

import static org.assertj.core.api.Assertions.assertThat;

class BudgetPeriodsTest {
    private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

    @Test
    void shouldCutADayAtLocalMidnightInTheBudgetsZone() {
        // 02:30 UTC on 15 Jan is still 14 Jan in New York (UTC-5)
        BudgetPeriods.Window day = BudgetPeriods.calendar(BudgetPeriodKind.DAY, NEW_YORK,
                Instant.parse("2026-01-15T02:30:00Z"));
        assertThat(day.start()).isEqualTo(Instant.parse("2026-01-14T05:00:00Z"));
        assertThat(day.end()).isEqualTo(Instant.parse("2026-01-15T05:00:00Z"));
    }

    @Test
    void shouldMakeTheDaysAcrossDaylightSavingChanges23And25HoursLong() {
        BudgetPeriods.Window spring = BudgetPeriods.calendar(BudgetPeriodKind.DAY, NEW_YORK,
                Instant.parse("2026-03-08T12:00:00Z"));
        BudgetPeriods.Window autumn = BudgetPeriods.calendar(BudgetPeriodKind.DAY, NEW_YORK,
                Instant.parse("2026-11-01T12:00:00Z"));
        assertThat(Duration.between(spring.start(), spring.end())).isEqualTo(Duration.ofHours(23));
        assertThat(Duration.between(autumn.start(), autumn.end())).isEqualTo(Duration.ofHours(25));
    }

    @Test
    void shouldStartAWeekOnMondayAndAMonthOnTheFirst() {
        ZoneId berlin = ZoneId.of("Europe/Berlin");
        // Sunday 29 March 2026, the day Berlin moves to summer time
        Instant sunday = Instant.parse("2026-03-29T10:00:00Z");
        BudgetPeriods.Window week = BudgetPeriods.calendar(BudgetPeriodKind.WEEK, berlin, sunday);
        assertThat(week.start()).isEqualTo(Instant.parse("2026-03-22T23:00:00Z"));
        assertThat(week.end()).isEqualTo(Instant.parse("2026-03-29T22:00:00Z"));
        BudgetPeriods.Window month = BudgetPeriods.calendar(BudgetPeriodKind.MONTH, berlin, sunday);
        assertThat(month.start()).isEqualTo(Instant.parse("2026-02-28T23:00:00Z"));
        assertThat(month.end()).isEqualTo(Instant.parse("2026-03-31T22:00:00Z"));
        assertThat(month.contains(sunday)).isTrue();
        assertThat(month.contains(month.end())).isFalse();
    }

    @Test
    void shouldStartADayThatASpringGapSkipsAtItsFirstInstant() {
        // Santiago skips midnight: clocks go from 23:59:59 to 01:00 on 6 Sep 2026
        ZoneId santiago = ZoneId.of("America/Santiago");
        BudgetPeriods.Window day = BudgetPeriods.calendar(BudgetPeriodKind.DAY, santiago,
                Instant.parse("2026-09-06T12:00:00Z"));
        assertThat(day.start().atZone(santiago).toLocalTime().getHour()).isEqualTo(1);
        assertThat(Duration.between(day.start(), day.end())).isEqualTo(Duration.ofHours(23));
    }

    @Test
    void shouldCoverTheLastLengthForARollingPeriodInSixtySlices() {
        Instant now = Instant.parse("2026-01-15T10:00:30Z");
        BudgetPeriods.Window minute = BudgetPeriods.rolling(Duration.ofMinutes(1), now);
        assertThat(minute.start()).isEqualTo(Instant.parse("2026-01-15T10:00:30Z").minusSeconds(60));
        assertThat(BudgetPeriods.sliceMillis(Duration.ofMinutes(1))).isEqualTo(1000);
        assertThat(BudgetPeriods.sliceStart(now.toEpochMilli() + 999, 1000)).isEqualTo(now.toEpochMilli());
    }
}
