-- The constitution gate's verdicts (constitution.audit): one row per bundle activated or refused. Read by scope,
-- newest first (GET /v1/constitution/history and /v1/constitution/{tenant}/history).

CREATE TABLE ${schema}.constitution_audit (
    event_id        TEXT PRIMARY KEY,
    scope           TEXT NOT NULL,
    outcome         TEXT NOT NULL,
    version         TEXT,
    hash            TEXT,
    key_id          TEXT,
    issued_at       TIMESTAMPTZ,
    "timestamp"     TIMESTAMPTZ NOT NULL,
    reason          TEXT,
    message         TEXT,
    kafka_topic     TEXT NOT NULL,
    kafka_partition INTEGER NOT NULL,
    kafka_offset    BIGINT NOT NULL,
    archived_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX constitution_audit_scope_time ON ${schema}.constitution_audit (scope, "timestamp", event_id);
