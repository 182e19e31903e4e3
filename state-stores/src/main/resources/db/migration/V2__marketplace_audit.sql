-- The marketplace's audit (marketplace.audit): one row per submission and per review command, a transition
-- (from_status -> to_status) or a refusal (rejection, rejection_kind). Queried by time, and by capsule over time.

CREATE TABLE ${schema}.marketplace_audit (
    event_id        TEXT PRIMARY KEY,
    request_id      TEXT NOT NULL,
    capsule_id      TEXT NOT NULL,
    action          TEXT NOT NULL,
    actor           TEXT,
    actor_tenant    TEXT,
    from_status     TEXT,
    to_status       TEXT,
    version         TEXT,
    notes           TEXT,
    rejection       TEXT,
    rejection_kind  TEXT,
    "timestamp"     TIMESTAMPTZ NOT NULL,
    kafka_topic     TEXT NOT NULL,
    kafka_partition INTEGER NOT NULL,
    kafka_offset    BIGINT NOT NULL,
    archived_at     TIMESTAMPTZ NOT NULL DEFAULT now()
);
CREATE INDEX marketplace_audit_time ON ${schema}.marketplace_audit ("timestamp", event_id);
CREATE INDEX marketplace_audit_capsule_time ON ${schema}.marketplace_audit (capsule_id, "timestamp", event_id);
