-- The budgets' audit (budget.audit): one row per definition change or deletion, period reset, and reservation
-- refused, expired or settled. Queried by tenant over time (GET /v1/budgets/{tenant}/audit), and by time.

CREATE TABLE ${schema}.budget_audit (
    event_id        TEXT PRIMARY KEY,
    tenant          TEXT NOT NULL,
    budget_id       TEXT,
    action          TEXT NOT NULL,
    request_id      TEXT,
    "timestamp"     TIMESTAMPTZ NOT NULL,
    period_start    TIMESTAMPTZ,
    period_end      TIMESTAMPTZ,
    tokens          BIGINT,
    usd             DOUBLE PRECISION,
    reason          TEXT,
    kafka_topic     TEXT NOT NULL,
    kafka_partition INTEGER NOT NULL,
    kafka_offset    BIGINT NOT NULL,
    archived_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX budget_audit_tenant_time ON ${schema}.budget_audit (tenant, "timestamp", event_id);
CREATE INDEX budget_audit_time ON ${schema}.budget_audit ("timestamp", event_id);
