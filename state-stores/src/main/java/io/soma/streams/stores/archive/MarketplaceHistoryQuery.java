package io.soma.streams.stores.archive;

import com.fasterxml.jackson.annotation.JsonProperty;

import javax.sql.DataSource;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;

import static io.soma.streams.stores.archive.ArchiveRangeQuery.instant;

/**
 * Reads a capsule's archived marketplace audit in time order, page by page, for
 * {@code GET /v1/marketplace/capsules/{id}/history}: every transition, where the catalog entry keeps only its latest
 * ones, and the refused submissions and reviews its reader may see (keyset paging on (timestamp, offset), see
 * {@link KeysetPager}).
 */
public final class MarketplaceHistoryQuery {
    /** One page of a capsule's history, oldest first; {@code nextCursor} is null on the last page. */
    public record Page(@JsonProperty("capsule_id") String capsuleId,
                       @JsonProperty("history") List<MarketplaceAuditRow> history,
                       @JsonProperty("next_cursor") String nextCursor) {
        /** The same page with each actor of another tenant than {@code tenant} left out (its tenant stays). */
        public Page namingOnlyPeopleOf(String tenant) {
            return new Page(capsuleId, history.stream()
                    .map(row -> tenant.equals(row.actorTenant()) ? row : row.withActor(null)).toList(), nextCursor);
        }
    }

    private final KeysetPager<MarketplaceAuditRow> pager;

    public MarketplaceHistoryQuery(DataSource dataSource, String schema) {
        this.pager = new KeysetPager<>(dataSource, "event_id, request_id, capsule_id, action, actor, actor_tenant, "
                + "from_status, to_status, version, notes, rejection, rejection_kind, \"timestamp\", kafka_topic, "
                + "kafka_partition, kafka_offset", SchemaMigrator.checkedSchemaName(schema) + ".marketplace_audit",
                "capsule_id", "\"timestamp\"", KeysetPager.LOG_ORDER, PageOrder.OLDEST_FIRST,
                // a refusal is its actor's tenant's business (and the reviewers'): it may name a capsule id that never
                // entered the catalog, and who tried what
                "action NOT IN ('submission_refused', 'review_refused') OR ? OR actor_tenant = ?",
                MarketplaceHistoryQuery::row,
                r -> KeysetPager.Cursor.afterRecord(r.timestamp(), r.source()));
    }

    /**
     * See {@link KeysetPager#page}.
     *
     * @param viewerTenant  whose refusals the page holds besides every transition
     * @param everyRefusal  whether it holds every tenant's refusals (reviewers, platform operators)
     */
    public Page page(String capsuleId, Instant from, Instant to, int limit, String cursor, String viewerTenant,
                     boolean everyRefusal) throws SQLException {
        ArchivePage<MarketplaceAuditRow> page = pager.page(capsuleId, from, to, limit, cursor, everyRefusal,
                viewerTenant);
        return new Page(capsuleId, page.rows(), page.nextCursor());
    }

    private static MarketplaceAuditRow row(ResultSet r) throws SQLException {
        return new MarketplaceAuditRow(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getString(5),
                r.getString(6), r.getString(7), r.getString(8), r.getString(9), r.getString(10), r.getString(11),
                r.getString(12), instant(r, 13), new KafkaSource(r.getString(14), r.getInt(15), r.getLong(16)));
    }
}
