package io.soma.streams.stores.archive;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class DecisionArchiveQueryIT {
    private static ArchiveDatabase database;
    private static DecisionArchiveQuery query;
    private static final List<PolicyDecisionRow> conv = new ArrayList<>();
    private static final int PAGE = 37;

    @BeforeAll
    static void archiveTraceDecisions() throws SQLException {
        database = ArchiveDatabase.migrated("query");
        query = new DecisionArchiveQuery(database.pool.dataSource(), database.schema);
        List<ArchiveRow> rows = new ArrayList<>();
        long offset = 0;
        for (TraceAuditRecords.Request request : TraceAuditRecords.requests("conv", 400)) {
            PolicyDecisionRow row = TraceAuditRecords.decision(request, new KafkaSource("policy.decisions", 0, offset++));
            conv.add(row);
            rows.add(row);
        }
        for (TraceAuditRecords.Request request : TraceAuditRecords.requests("code", 150)) {
            rows.add(TraceAuditRecords.decision(request, new KafkaSource("policy.decisions", 1, offset++)));
        }
        new AuditArchiveWriter(database.pool.dataSource(), database.schema).write(rows);
    }

    @AfterAll
    static void drop() throws SQLException {
        database.close();
    }

    @Test
    void shouldReturnEveryRowOfTheRangeExactlyOnceAcrossPages() throws Exception {
        Instant from = conv.get(50).evaluatedAt();
        Instant to = conv.get(350).evaluatedAt();
        List<String> expected = idsOldestFirst(from, to);

        List<DecisionArchiveQuery.Page> pages = walk(from, to, PageOrder.OLDEST_FIRST);

        assertThat(pages).allSatisfy(page -> assertThat(page.decisions()).hasSizeLessThanOrEqualTo(PAGE));
        assertThat(expected).hasSize(300);
        assertThat(ids(pages)).containsExactlyElementsOf(expected);
        assertThat(pages).hasSize(9); // 300 rows = 8 full pages of 37 + 4
    }

    /** Newest first: what the console's audit page shows first, and pages on into the past. */
    @Test
    void shouldReturnEveryRowOfTheRangeOnceNewestFirstAcrossPages() throws Exception {
        Instant from = conv.get(50).evaluatedAt();
        Instant to = conv.get(350).evaluatedAt();
        List<String> expected = new ArrayList<>(idsOldestFirst(from, to));
        Collections.reverse(expected);

        List<String> read = ids(walk(from, to, PageOrder.NEWEST_FIRST));

        assertThat(read).hasSize(300).containsExactlyElementsOf(expected);
    }

    /** The ids of conv's decisions in [from, to), in the pages' order oldest first: time, then id. */
    private static List<String> idsOldestFirst(Instant from, Instant to) {
        return conv.stream()
                .filter(r -> !r.evaluatedAt().isBefore(from) && r.evaluatedAt().isBefore(to))
                .sorted(Comparator.comparing(PolicyDecisionRow::evaluatedAt).thenComparing(PolicyDecisionRow::decisionId))
                .map(PolicyDecisionRow::decisionId)
                .toList();
    }

    /** Every page of conv's decisions in [from, to), {@value #PAGE} a page, following each next cursor. */
    private static List<DecisionArchiveQuery.Page> walk(Instant from, Instant to, PageOrder order) throws SQLException {
        List<DecisionArchiveQuery.Page> pages = new ArrayList<>();
        String cursor = null;
        do {
            DecisionArchiveQuery.Page page = query.page("conv", from, to, PAGE, cursor, order, null);
            pages.add(page);
            cursor = page.nextCursor();
        } while (cursor != null);
        return pages;
    }

    private static List<String> ids(List<DecisionArchiveQuery.Page> pages) {
        return pages.stream().flatMap(p -> p.decisions().stream()).map(PolicyDecisionRow::decisionId).toList();
    }

    /** The console's decision filter: pages of one outcome only, none short of a full page but the last. */
    @Test
    void shouldPageOnlyTheDecisionsOfTheOutcomeAsked() throws Exception {
        List<PolicyDecisionRow> rows = new ArrayList<>();
        List<String> denied = new ArrayList<>();
        long offset = 10_000;
        // the code trace's arrivals, as another tenant's, every third one denied
        for (TraceAuditRecords.Request request : TraceAuditRecords.requests("code", 60)) {
            boolean deny = rows.size() % 3 == 0;
            PolicyDecisionRow row = new PolicyDecisionRow("mixed-" + request.id("decision"),
                    "mixed-" + request.id("event"), null, "mixed", null, deny ? "deny" : "allow", !deny,
                    deny ? 0.0 : 1.0, deny ? "high" : "low", "[]", null, null, null, request.arrivedAt(),
                    new KafkaSource("policy.decisions", 2, offset++));
            rows.add(row);
            if (row.decision().equals("deny")) {
                denied.add(row.decisionId());
            }
        }
        new AuditArchiveWriter(database.pool.dataSource(), database.schema).write(new ArrayList<ArchiveRow>(rows));

        List<String> read = new ArrayList<>();
        List<Integer> sizes = new ArrayList<>();
        String cursor = null;
        do {
            DecisionArchiveQuery.Page page = query.page("mixed", Instant.EPOCH, Instant.now(), 7, cursor,
                    PageOrder.NEWEST_FIRST, "deny");
            page.decisions().forEach(d -> read.add(d.decisionId()));
            sizes.add(page.decisions().size());
            cursor = page.nextCursor();
        } while (cursor != null);

        List<String> newestFirst = rows.stream().filter(r -> r.decision().equals("deny"))
                .sorted(Comparator.comparing(PolicyDecisionRow::evaluatedAt).thenComparing(PolicyDecisionRow::decisionId)
                        .reversed()).map(PolicyDecisionRow::decisionId).toList();
        assertThat(denied).hasSize(20);
        assertThat(read).containsExactlyElementsOf(newestFirst);
        assertThat(sizes.subList(0, sizes.size() - 1)).containsOnly(7);
        assertThat(query.page("mixed", Instant.EPOCH, Instant.now(), 100, null, PageOrder.OLDEST_FIRST, null)
                .decisions()).hasSize(60);
    }

    @Test
    void shouldReturnOnlyTheTenantsOwnDecisions() throws Exception {
        DecisionArchiveQuery.Page page = query.page("code", Instant.EPOCH, Instant.now(), 1000, null, PageOrder.OLDEST_FIRST, null);

        assertThat(page.decisions()).hasSize(150).allSatisfy(r -> assertThat(r.tenant()).isEqualTo("code"));
        assertThat(page.nextCursor()).isNull();
    }

    @Test
    void shouldRejectAMalformedCursorAndABadLimit() {
        Instant to = Instant.now();
        assertThatThrownBy(() -> query.page("conv", Instant.EPOCH, to, 10, "not a cursor!", PageOrder.OLDEST_FIRST, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cursor");
        // well-formed, but at a time no page of this range ends on: the year 294,000, which PostgreSQL would refuse
        String forged = Base64.getUrlEncoder().withoutPadding()
                .encodeToString((Long.MAX_VALUE + ":x").getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> query.page("conv", Instant.EPOCH, to, 10, forged, PageOrder.OLDEST_FIRST, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cursor");
        // in range, but its id holds a NUL, which PostgreSQL text cannot: the query would fail like an outage
        String withNul = Base64.getUrlEncoder().withoutPadding()
                .encodeToString((ChronoUnit.MICROS.between(Instant.EPOCH, to.minusSeconds(1)) + ":\u0000")
                        .getBytes(StandardCharsets.UTF_8));
        assertThatThrownBy(() -> query.page("conv", Instant.EPOCH, to, 10, withNul, PageOrder.OLDEST_FIRST, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cursor");
        assertThatThrownBy(() -> query.page("conv", Instant.EPOCH, to, 0, null, PageOrder.OLDEST_FIRST, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("limit");
        assertThatThrownBy(() -> query.page("conv", to, Instant.EPOCH, 10, null, PageOrder.OLDEST_FIRST, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("from");
    }
}
