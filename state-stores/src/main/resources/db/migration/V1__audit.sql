-- The audit archive. Primary keys are the records' own ids, so a replay or a retry never duplicates a row;
-- the Kafka coordinates say where each row came from.

CREATE TABLE ${schema}.policy_decisions (
    decision_id          TEXT PRIMARY KEY,
    event_id             TEXT NOT NULL,
    session_id           TEXT,
    tenant               TEXT NOT NULL,
    "user"               TEXT,
    decision             TEXT NOT NULL,
    allowed              BOOLEAN NOT NULL,
    score                DOUBLE PRECISION NOT NULL,
    severity             TEXT NOT NULL,
    violations           JSONB NOT NULL,
    constitution_hash    TEXT,
    constitution_version TEXT,
    rulepack_version     TEXT,
    evaluated_at         TIMESTAMPTZ NOT NULL,
    kafka_topic          TEXT NOT NULL,
    kafka_partition      INTEGER NOT NULL,
    kafka_offset         BIGINT NOT NULL,
    archived_at          TIMESTAMPTZ NOT NULL DEFAULT now()
);
-- keyset paging of GET /v1/audit/decisions: WHERE tenant = ? AND (evaluated_at, decision_id) > (?, ?)
CREATE INDEX policy_decisions_tenant_time ON ${schema}.policy_decisions (tenant, evaluated_at, decision_id);

CREATE TABLE ${schema}.training_audit (
    event_id        TEXT PRIMARY KEY,
    command_id      TEXT,
    tenant          TEXT NOT NULL,
    action          TEXT NOT NULL,
    "user"          TEXT,
    "timestamp"     TIMESTAMPTZ NOT NULL,
    details         JSONB NOT NULL,
    kafka_topic     TEXT NOT NULL,
    kafka_partition INTEGER NOT NULL,
    kafka_offset    BIGINT NOT NULL,
    archived_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX training_audit_tenant_time ON ${schema}.training_audit (tenant, "timestamp", event_id);

CREATE TABLE ${schema}.identity_audit (
    event_id        TEXT PRIMARY KEY,
    action          TEXT NOT NULL,
    tenant          TEXT,
    subject         TEXT,
    actor           TEXT,
    jti             TEXT,
    "timestamp"     TIMESTAMPTZ NOT NULL,
    details         JSONB NOT NULL,
    kafka_topic     TEXT NOT NULL,
    kafka_partition INTEGER NOT NULL,
    kafka_offset    BIGINT NOT NULL,
    archived_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX identity_audit_tenant_time ON ${schema}.identity_audit (tenant, "timestamp", event_id);
