package io.soma.streams.topologies.budget;

import io.soma.streams.avro.BudgetDefinition;
import io.soma.streams.avro.BudgetPeriodKind;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.temporal.TemporalAdjusters;

/**
 * Where a budget's periods start and end. Calendar periods (DAY, WEEK from Monday, MONTH) are cut at local
 * midnight in the budget's zone, so a day across a daylight-saving change is 23 or 25 hours long; a ROLLING period
 * is the last {@code rolling_seconds} before now and never resets, spend ages out of it instead.
 */
public final class BudgetPeriods {
    /** A rolling window keeps its spend in this many slices, so it needs no per-request history. */
    static final int ROLLING_SLICES = 60;

    private BudgetPeriods() {
    }

    /** A period: {@code start} inclusive, {@code end} exclusive. */
    public record Window(Instant start, Instant end) {
        public boolean contains(Instant t) {
            return !t.isBefore(start) && t.isBefore(end);
        }
    }

    public static boolean isCalendar(BudgetPeriodKind kind) {
        return kind == BudgetPeriodKind.DAY || kind == BudgetPeriodKind.WEEK || kind == BudgetPeriodKind.MONTH;
    }

    /** The calendar period of {@code kind} in {@code zone} that contains {@code now}. */
    public static Window calendar(BudgetPeriodKind kind, ZoneId zone, Instant now) {
        LocalDate today = now.atZone(zone).toLocalDate();
        LocalDate first = switch (kind) {
            case DAY -> today;
            case WEEK -> today.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
            case MONTH -> today.withDayOfMonth(1);
            default -> throw new IllegalArgumentException("not a calendar period: " + kind);
        };
        LocalDate next = switch (kind) {
            case DAY -> first.plusDays(1);
            case WEEK -> first.plusWeeks(1);
            default -> first.plusMonths(1);
        };
        // atStartOfDay moves a midnight that a DST gap skips to the first instant that exists
        return new Window(first.atStartOfDay(zone).toInstant(), next.atStartOfDay(zone).toInstant());
    }

    /** The window a ROLLING period covers at {@code now}. */
    public static Window rolling(Duration length, Instant now) {
        return new Window(now.minus(length), now);
    }

    /** The period of {@code definition} that contains {@code now}. */
    public static Window current(BudgetDefinition definition, Instant now) {
        return definition.getPeriod() == BudgetPeriodKind.ROLLING
                ? rolling(rollingLength(definition), now)
                : calendar(definition.getPeriod(), zone(definition), now);
    }

    public static ZoneId zone(BudgetDefinition definition) {
        return definition.getTimeZone() == null ? ZoneOffset.UTC : ZoneId.of(definition.getTimeZone());
    }

    public static Duration rollingLength(BudgetDefinition definition) {
        return Duration.ofSeconds(definition.getRollingSeconds());
    }

    /** The width of one slice of a rolling window: a sixtieth of it, at least a millisecond. */
    public static long sliceMillis(Duration rollingLength) {
        return Math.max(1, rollingLength.toMillis() / ROLLING_SLICES);
    }

    /** The start of the slice that holds {@code t}. */
    public static long sliceStart(long tMillis, long sliceMillis) {
        return Math.floorDiv(tMillis, sliceMillis) * sliceMillis;
    }
}
