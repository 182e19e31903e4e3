-- keyset paging of GET /v1/audit/decisions?decision=: WHERE tenant = ? AND decision = ? AND (evaluated_at,
-- decision_id) < (?, ?). Without it a page of a rare outcome read the tenant's rows until it found a page of them.
-- Built in the migration's transaction: the archive's inserts wait for it, once.
CREATE INDEX policy_decisions_tenant_outcome_time ON ${schema}.policy_decisions (tenant, decision, evaluated_at,
    decision_id);
