package io.soma.streams.stores.archive;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A tenant's budget and training audits and a scope's constitution history, paged through the real PostgreSQL: rows of
 * one instant (a tenant's budgets reset together; an expiry and the command that found it) are each read once, in the
 * order they were written (their offsets), and the paging ends.
 */
class AuditHistoryQueriesIT {
    private static final int ROWS = 5;
    private static final Instant AT = Instant.parse("2026-12-01T00:00:00Z");
    private static ArchiveDatabase database;

    @BeforeAll
    static void migrate() throws SQLException {
        database = ArchiveDatabase.migrated("history");
        List<ArchiveRow> rows = new ArrayList<>();
        for (int i = 0; i < ROWS; i++) {
            // every row at the same instant but one, a second later; the event ids sort against the offsets
            Instant time = i == ROWS - 1 ? AT.plusSeconds(1) : AT;
            rows.add(new BudgetAuditRow("reset-" + (9 - i), "tied", "budget-" + i, "budget.reset", null, time, null,
                    null, null, null, null, new KafkaSource("budget.audit", 0, i)));
            rows.add(new ConstitutionAuditRow("verdict-" + (9 - i), "tied", "refused", "1.0." + i, null, null, null,
                    time, "bad_signature", null, new KafkaSource("constitution.audit", 0, i)));
            rows.add(new TrainingAuditRow("training-" + (9 - i), "command-" + i, "tied",
                    i % 2 == 0 ? "training.expired" : "training.enabled", "ada", time, "{}",
                    new KafkaSource("training.audit", 0, i)));
        }
        new AuditArchiveWriter(database.pool.dataSource(), database.schema).write(rows);
    }

    @AfterAll
    static void drop() throws SQLException {
        database.close();
    }

    @Test
    void shouldReadEveryBudgetAuditRowOnceOldestFirstThoughTheyShareAnInstant() throws SQLException {
        BudgetAuditQuery query = new BudgetAuditQuery(database.pool.dataSource(), database.schema);

        List<String> read = readAll(cursor -> query.page("tied", AT.minusSeconds(60), AT.plusSeconds(60), 2, cursor),
                BudgetAuditRow::eventId);

        assertThat(read).containsExactly("reset-9", "reset-8", "reset-7", "reset-6", "reset-5");
    }

    @Test
    void shouldReadATenantsTrainingTrailInTheOrderItWasWrittenThoughItSharesAnInstant() throws SQLException {
        TrainingAuditQuery query = new TrainingAuditQuery(database.pool.dataSource(), database.schema);

        List<String> read = new ArrayList<>();
        for (PageOrder order : PageOrder.values()) {
            read.addAll(readAll(cursor -> {
                TrainingAuditQuery.Page page = query.page("tied", AT.minusSeconds(60), AT.plusSeconds(60), 2, cursor,
                        order);
                return new ArchivePage<>(page.audit(), page.nextCursor());
            }, TrainingAuditRow::eventId));
        }

        assertThat(read).containsExactly("training-9", "training-8", "training-7", "training-6", "training-5",
                "training-5", "training-6", "training-7", "training-8", "training-9");
    }

    /** A cursor made when pages were ordered by event id would compare as text with the offsets: refused, not misread. */
    @Test
    void shouldRefuseACursorOrderedByEventIdAsMalformed() {
        TrainingAuditQuery query = new TrainingAuditQuery(database.pool.dataSource(), database.schema);
        String byEventId = KeysetPager.Cursor.after(AT, "training-8").encode();

        assertThatThrownBy(() -> query.page("tied", AT.minusSeconds(60), AT.plusSeconds(60), 2, byEventId,
                PageOrder.OLDEST_FIRST))
                .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("malformed cursor");
    }

    @Test
    void shouldReadEveryVerdictOnceNewestFirstThoughTheyShareAnInstant() throws SQLException {
        ConstitutionHistoryQuery query = new ConstitutionHistoryQuery(database.pool.dataSource(), database.schema);

        List<String> read = readAll(cursor -> query.page("tied", AT.minusSeconds(60), AT.plusSeconds(60), 2, cursor),
                ConstitutionAuditRow::eventId);

        assertThat(read).containsExactly("verdict-5", "verdict-6", "verdict-7", "verdict-8", "verdict-9");
        // a range that ends at the tied instant holds none of it (to is exclusive)
        assertThat(query.page("tied", AT.minus(1, ChronoUnit.HOURS), AT, 10, null).rows()).isEmpty();
    }

    private interface PageReader<R> {
        ArchivePage<R> read(String cursor) throws SQLException;
    }

    /** Every page from the first, following the cursors; at most ten pages, so a loop cannot hang the test. */
    private static <R> List<String> readAll(PageReader<R> pages, Function<R, String> id) throws SQLException {
        List<String> read = new ArrayList<>();
        String cursor = null;
        for (int page = 0; page < 10; page++) {
            ArchivePage<R> next = pages.read(cursor);
            next.rows().forEach(r -> read.add(id.apply(r)));
            cursor = next.nextCursor();
            if (cursor == null) {
                return read;
            }
        }
        throw new AssertionError("still more pages after ten of two rows, for " + ROWS + " rows: " + read);
    }
}
