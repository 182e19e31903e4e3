package io.soma.streams.stores.archive;

import javax.sql.DataSource;
import java.lang.reflect.RecordComponent;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Writes archive rows idempotently: {@code INSERT … ON CONFLICT (primary key) DO NOTHING}, one JDBC batch per
 * table, all tables of one call in one transaction — so a batch is either archived whole or not at all.
 * The first write migrates the schema, so a process that started while PostgreSQL was down gets its tables
 * as soon as PostgreSQL is back (the archiver retries the write until then).
 */
public final class AuditArchiveWriter {
    /** timestamptz's range, a little inside it. */
    private static final Instant EARLIEST_STORABLE = Instant.parse("-4712-01-01T00:00:00Z");
    private static final Instant LATEST_STORABLE = Instant.parse("+294275-12-31T23:59:59Z");
    /**
     * A JSON escape of U+0000 (a backslash, u and four zeros) whose backslash is not itself escaped: an even run of
     * backslashes before it. Text that only reads like one is written with its backslash doubled and stays as it is.
     */
    private static final Pattern JSON_NUL_ESCAPE = Pattern.compile("(?<!\\\\)((?:\\\\\\\\)*)\\\\u0000");

    /** How many rows were new, and how many were already archived (a replay or a retry). */
    public record WriteResult(int inserted, int alreadyPresent) {
    }

    private record Column<R>(String name, String cast, Function<R, Object> value) {
    }

    private record Table<R extends ArchiveRow>(String name, String primaryKey, List<Column<R>> columns) {
        String insertSql(String schema) {
            String names = columns.stream().map(Column::name).collect(Collectors.joining(", "));
            String values = columns.stream().map(c -> "?" + c.cast()).collect(Collectors.joining(", "));
            return "INSERT INTO " + schema + "." + name + " (" + names + ") VALUES (" + values + ") ON CONFLICT ("
                    + primaryKey + ") DO NOTHING";
        }
    }

    // a decision's id is derived from its event's, which each tenant chooses: unique per tenant only
    private static final Table<PolicyDecisionRow> POLICY_DECISIONS = new Table<>("policy_decisions", "tenant, decision_id",
            withSource(List.of(
                    column("decision_id", PolicyDecisionRow::decisionId),
                    column("event_id", PolicyDecisionRow::eventId),
                    column("session_id", PolicyDecisionRow::sessionId),
                    column("tenant", PolicyDecisionRow::tenant),
                    column("\"user\"", PolicyDecisionRow::user),
                    column("decision", PolicyDecisionRow::decision),
                    column("allowed", PolicyDecisionRow::allowed),
                    column("score", PolicyDecisionRow::score),
                    column("severity", PolicyDecisionRow::severity),
                    json("violations", PolicyDecisionRow::violationsJson),
                    column("constitution_hash", PolicyDecisionRow::constitutionHash),
                    column("constitution_version", PolicyDecisionRow::constitutionVersion),
                    column("rulepack_version", PolicyDecisionRow::rulepackVersion),
                    column("evaluated_at", r -> timestamp(r.evaluatedAt())))));

    private static final Table<TrainingAuditRow> TRAINING_AUDIT = new Table<>("training_audit", "event_id",
            withSource(List.of(
                    column("event_id", TrainingAuditRow::eventId),
                    column("command_id", TrainingAuditRow::commandId),
                    column("tenant", TrainingAuditRow::tenant),
                    column("action", TrainingAuditRow::action),
                    column("\"user\"", TrainingAuditRow::user),
                    column("\"timestamp\"", r -> timestamp(r.timestamp())),
                    json("details", TrainingAuditRow::detailsJson))));

    private static final Table<IdentityAuditRow> IDENTITY_AUDIT = new Table<>("identity_audit", "event_id",
            withSource(List.of(
                    column("event_id", IdentityAuditRow::eventId),
                    column("action", IdentityAuditRow::action),
                    column("tenant", IdentityAuditRow::tenant),
                    column("subject", IdentityAuditRow::subject),
                    column("actor", IdentityAuditRow::actor),
                    column("jti", IdentityAuditRow::jti),
                    column("\"timestamp\"", r -> timestamp(r.timestamp())),
                    json("details", IdentityAuditRow::detailsJson))));

    private static final Table<MarketplaceAuditRow> MARKETPLACE_AUDIT = new Table<>("marketplace_audit", "event_id",
            withSource(List.of(
                    column("event_id", MarketplaceAuditRow::eventId),
                    column("request_id", MarketplaceAuditRow::requestId),
                    column("capsule_id", MarketplaceAuditRow::capsuleId),
                    column("action", MarketplaceAuditRow::action),
                    column("actor", MarketplaceAuditRow::actor),
                    column("actor_tenant", MarketplaceAuditRow::actorTenant),
                    column("from_status", MarketplaceAuditRow::fromStatus),
                    column("to_status", MarketplaceAuditRow::toStatus),
                    column("version", MarketplaceAuditRow::version),
                    column("notes", MarketplaceAuditRow::notes),
                    column("rejection", MarketplaceAuditRow::rejection),
                    column("rejection_kind", MarketplaceAuditRow::rejectionKind),
                    column("\"timestamp\"", r -> timestamp(r.timestamp())))));

    private static final Table<BudgetAuditRow> BUDGET_AUDIT = new Table<>("budget_audit", "event_id",
            withSource(List.of(
                    column("event_id", BudgetAuditRow::eventId),
                    column("tenant", BudgetAuditRow::tenant),
                    column("budget_id", BudgetAuditRow::budgetId),
                    column("action", BudgetAuditRow::action),
                    column("request_id", BudgetAuditRow::requestId),
                    column("\"timestamp\"", r -> timestamp(r.timestamp())),
                    column("period_start", r -> timestamp(r.periodStart())),
                    column("period_end", r -> timestamp(r.periodEnd())),
                    column("tokens", BudgetAuditRow::tokens),
                    column("usd", BudgetAuditRow::usd),
                    column("reason", BudgetAuditRow::reason))));

    private static final Table<ConstitutionAuditRow> CONSTITUTION_AUDIT = new Table<>("constitution_audit", "event_id",
            withSource(List.of(
                    column("event_id", ConstitutionAuditRow::eventId),
                    column("scope", ConstitutionAuditRow::scope),
                    column("outcome", ConstitutionAuditRow::outcome),
                    column("version", ConstitutionAuditRow::version),
                    column("hash", ConstitutionAuditRow::hash),
                    column("key_id", ConstitutionAuditRow::keyId),
                    column("issued_at", r -> timestamp(r.issuedAt())),
                    column("\"timestamp\"", r -> timestamp(r.timestamp())),
                    column("reason", ConstitutionAuditRow::reason),
                    column("message", ConstitutionAuditRow::message))));

    private final DataSource dataSource;
    private final String schema;
    private final SchemaMigrator migrator;
    private volatile boolean migrated;

    public AuditArchiveWriter(DataSource dataSource, String schema) {
        this.dataSource = dataSource;
        this.schema = SchemaMigrator.checkedSchemaName(schema);
        this.migrator = new SchemaMigrator(dataSource, schema);
    }

    /**
     * Archives the rows in one transaction.
     *
     * @throws SQLException when PostgreSQL refuses or cannot be reached; nothing of the batch is then written
     * @throws IllegalStateException when the schema could not be migrated (PostgreSQL unreachable at first write)
     */
    public WriteResult write(List<? extends ArchiveRow> rows) throws SQLException {
        if (rows.isEmpty()) {
            return new WriteResult(0, 0);
        }
        ensureMigrated();
        List<PolicyDecisionRow> decisions = new ArrayList<>();
        List<TrainingAuditRow> training = new ArrayList<>();
        List<IdentityAuditRow> identity = new ArrayList<>();
        List<MarketplaceAuditRow> marketplace = new ArrayList<>();
        List<BudgetAuditRow> budget = new ArrayList<>();
        List<ConstitutionAuditRow> constitution = new ArrayList<>();
        for (ArchiveRow row : rows) {
            if (row instanceof PolicyDecisionRow r) {
                decisions.add(r);
            } else if (row instanceof TrainingAuditRow r) {
                training.add(r);
            } else if (row instanceof IdentityAuditRow r) {
                identity.add(r);
            } else if (row instanceof MarketplaceAuditRow r) {
                marketplace.add(r);
            } else if (row instanceof BudgetAuditRow r) {
                budget.add(r);
            } else {
                constitution.add((ConstitutionAuditRow) row);
            }
        }
        try (Connection connection = dataSource.getConnection()) {
            connection.setAutoCommit(false);
            try {
                int inserted = insert(connection, POLICY_DECISIONS, decisions)
                        + insert(connection, TRAINING_AUDIT, training)
                        + insert(connection, IDENTITY_AUDIT, identity)
                        + insert(connection, MARKETPLACE_AUDIT, marketplace)
                        + insert(connection, BUDGET_AUDIT, budget)
                        + insert(connection, CONSTITUTION_AUDIT, constitution);
                connection.commit();
                return new WriteResult(inserted, rows.size() - inserted);
            } catch (SQLException | RuntimeException e) {
                Rollback.after(connection, e);
                throw e;
            }
        }
    }

    private void ensureMigrated() {
        if (!migrated) {
            synchronized (this) {
                if (!migrated) {
                    migrator.migrate();
                    migrated = true;
                }
            }
        }
    }

    private <R extends ArchiveRow> int insert(Connection connection, Table<R> table, List<R> rows) throws SQLException {
        if (rows.isEmpty()) {
            return 0;
        }
        try (PreparedStatement statement = connection.prepareStatement(table.insertSql(schema))) {
            for (R row : rows) {
                int index = 1;
                for (Column<R> column : table.columns()) {
                    statement.setObject(index++, storable(column, column.value().apply(row)));
                }
                statement.addBatch();
            }
            int inserted = 0;
            for (int count : statement.executeBatch()) {
                inserted += Math.max(count, 0); // 1 = new row, 0 = the primary key was already archived
            }
            return inserted;
        }
    }

    /**
     * Why PostgreSQL could never hold {@code row}, or null: a time outside timestamptz's range (4713 BC to 294276 AD;
     * say a bundle's issue time sent in nanoseconds) fails its batch on every retry and would stall the archive.
     */
    public static String unstorable(ArchiveRow row) {
        for (RecordComponent component : row.getClass().getRecordComponents()) {
            Object value;
            try {
                value = component.getAccessor().invoke(row);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read " + component.getName() + " of " + row.getClass(), e);
            }
            if (value instanceof Instant time && (time.isBefore(EARLIEST_STORABLE) || time.isAfter(LATEST_STORABLE))) {
                return component.getName() + " " + time + " is outside the times PostgreSQL can store";
            }
        }
        return null;
    }

    /**
     * Whether PostgreSQL refused a write for what its rows hold, which no retry can change: a data exception
     * (SQLState class 22), an integrity constraint (23), or a program limit (54; an index entry over its 2,704 bytes,
     * say a tenant name of thousands of random characters), rather than for being unreachable.
     */
    public static boolean refusesContent(SQLException e) {
        for (SQLException cause = e; cause != null; cause = cause.getNextException()) {
            String state = cause.getSQLState();
            if (state != null && (state.startsWith("22") || state.startsWith("23") || state.startsWith("54"))) {
                return true;
            }
        }
        return false;
    }

    /**
     * PostgreSQL text and jsonb cannot hold U+0000: one such character from any producer would stall the archive
     * on a row it can never write. It is archived as U+FFFD (the replacement character) instead.
     */
    private static Object storable(Column<?> column, Object value) {
        if (!(value instanceof String text)) {
            return value;
        }
        String cleaned = text.replace('\u0000', '\uFFFD');
        return column.cast().isEmpty() ? cleaned : JSON_NUL_ESCAPE.matcher(cleaned).replaceAll("$1\\\\ufffd");
    }

    private static <R> Column<R> column(String name, Function<R, Object> value) {
        return new Column<>(name, "", value);
    }

    private static <R> Column<R> json(String name, Function<R, Object> value) {
        return new Column<>(name, "::jsonb", value);
    }

    private static <R extends ArchiveRow> List<Column<R>> withSource(List<Column<R>> columns) {
        List<Column<R>> all = new ArrayList<>(columns);
        all.add(column("kafka_topic", r -> r.source().topic()));
        all.add(column("kafka_partition", r -> r.source().partition()));
        all.add(column("kafka_offset", r -> r.source().offset()));
        return List.copyOf(all);
    }

    private static OffsetDateTime timestamp(Instant instantOrNull) {
        return instantOrNull == null ? null : instantOrNull.atOffset(ZoneOffset.UTC);
    }
}
