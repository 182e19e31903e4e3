package io.soma.streams.testkit;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

/**
 * A time zone where it is about noon now. A daily budget in UTC resets at midnight UTC: a test that runs across it
 * (one run in a few hundred, any nightly build started at 00:00) sees its spend or its alerts start over. In this
 * zone the day has about 12 hours left, longer than any test class runs.
 */
public final class MidDay {
    private static final int DAY_SECONDS = 86_400;
    /** The widest offset {@link ZoneOffset} takes. */
    private static final int MAX_OFFSET_SECONDS = 18 * 3600;

    private MidDay() {
    }

    /** A fixed-offset zone (whole minutes) whose local time is within a minute of 12:00 now. */
    public static ZoneOffset zone() {
        // now + offset is noon: offset = 12 h − now, modulo a day, cut to whole minutes
        int offset = (int) Math.floorMod(-Instant.now().plus(Duration.ofHours(12)).getEpochSecond(), DAY_SECONDS) / 60 * 60;
        return ZoneOffset.ofTotalSeconds(offset > MAX_OFFSET_SECONDS ? offset - DAY_SECONDS : offset);
    }
}
