package io.soma.streams.reliability;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

/**
 * What a failure drill did and saw: the timeline of what was killed and restarted, and the counts that say
 * whether anything was lost or duplicated.
 *
 * @param eventsPlanned     events of the replay plan in the load (a sized load repeats them until it is stopped)
 * @param eventsSent        events the load produced before the drill stopped it (once the failures were over)
 * @param eventsAcked       events the brokers acknowledged (the input)
 * @param sendFailures      sends that failed after the producer's own retries (not in the input)
 * @param decided           input events with at least one decision on policy.decisions (read_committed)
 * @param duplicates        input events with more than one decision record
 * @param lost              input events without a decision
 * @param archived          distinct decisions of this run in PostgreSQL
 * @param archiveRows       rows of this run in PostgreSQL (= archived unless the primary key failed)
 * @param archiveGaps       decisions on the topic that are not in PostgreSQL
 * @param lockAnswers       training-status answers that showed the lock as it was set, of {@code lockQueries}
 * @param forecastAnswers   forecast answers (200), of {@code forecastQueries}, every instance asked for every tenant
 * @param redisKeysRewarmed mirrored keys back in Redis after its restart, of {@code redisKeysExpected}
 * @param lockAudited       locked tenants with their training.audit record (read_committed)
 * @param auditDuplicates   locked tenants with more than one audit record (each had one command)
 */
record DrillReport(String runId, int instances, int brokers, int partitions, double ratePerSecond,
                   List<Step> timeline, int eventsPlanned, int eventsSent, int eventsAcked, long sendFailures, int decided,
                   int duplicates, int lost,
                   int decidedWhileRedisDown, long archivedBeforePostgresOutage, long archivedWhenPostgresBack,
                   int archived, long archiveRows, int archiveGaps, int lockAnswers, int lockQueries,
                   int forecastAnswers, int forecastQueries, int redisKeysRewarmed, int redisKeysExpected,
                   int lockAudited, int auditDuplicates,
                   int tokenFromBeforeRedisLoss, long deadLetters, Duration total) {

    /** One action of the drill, at seconds since the load began, with the counts at that moment. */
    record Step(double atSeconds, String action, int acked, int decided, long archived) {
    }

    /** Every claim of docs/reliability.md held: what the IT asserts and what the command line's exit code says. */
    boolean clean() {
        return eventsAcked > 0 && eventsAcked == eventsSent && duplicates == 0 && lost == 0 && archiveGaps == 0
                && archiveRows == archived && archived == decided && decidedWhileRedisDown > 0
                && lockAnswers == lockQueries && forecastQueries > 0 && forecastAnswers == forecastQueries
                && redisKeysRewarmed == redisKeysExpected
                // each locked tenant was asked on every instance, and has its one audit record
                && lockAudited * instances == lockQueries && auditDuplicates == 0
                && deadLetters == 0;
    }

    String markdown() {
        StringBuilder md = new StringBuilder();
        md.append(String.format(Locale.ROOT, "Run `%s`: %d app instances (separate JVMs), %d-broker KRaft cluster "
                + "(one JVM per broker), %d partitions, load %.0f events/s, %s in all.%n%n",
                runId, instances, brokers, partitions, ratePerSecond, seconds(total)));
        md.append("| t (s) | action | events acked | events decided | decisions archived |\n|---|---|---|---|---|\n");
        for (Step s : timeline) {
            md.append(String.format(Locale.ROOT, "| %.1f | %s | %d | %d | %s |%n", s.atSeconds(), s.action(), s.acked(),
                    s.decided(), s.archived() < 0 ? "(PostgreSQL down)" : Long.toString(s.archived())));
        }
        md.append("\n| measure | value |\n|---|---|\n");
        row(md, "events planned (real records of the replay plan)", eventsPlanned);
        row(md, "events sent (the load stops once the failures are over)", eventsSent);
        row(md, "events in (acknowledged by the brokers)", eventsAcked);
        row(md, "sends failed after the producer's retries", sendFailures);
        row(md, "events with a decision (read_committed, by event id)", decided);
        row(md, "events with more than one decision (duplicates)", duplicates);
        row(md, "events without a decision (losses)", lost);
        row(md, "events decided while Redis was down", decidedWhileRedisDown);
        row(md, "decisions archived when PostgreSQL stopped / when it was back", archivedBeforePostgresOutage + " / "
                + archivedWhenPostgresBack);
        row(md, "decisions archived in the end (distinct / rows)", archived + " / " + archiveRows);
        row(md, "decisions on the topic missing from the archive (gaps)", archiveGaps);
        row(md, "training locks as set, asked on every instance", lockAnswers + " of " + lockQueries);
        row(md, "locked tenants with their one training.audit record / with more than one", lockAudited + " / "
                + auditDuplicates);
        row(md, "forecasts answered, every instance asked for every tenant", forecastAnswers + " of " + forecastQueries);
        row(md, "Redis keys re-warmed after the restart (training:lock:*, constitution:*)",
                redisKeysRewarmed + " of " + redisKeysExpected);
        row(md, "HTTP status of a token issued before the Redis loss", tokenFromBeforeRedisLoss);
        row(md, "records in soma.dlq", deadLetters);
        return md.toString();
    }

    private static void row(StringBuilder md, String what, Object value) {
        md.append("| ").append(what).append(" | ").append(value).append(" |\n");
    }

    private static String seconds(Duration d) {
        return String.format(Locale.ROOT, "%.0f s", d.toMillis() / 1000.0);
    }
}
