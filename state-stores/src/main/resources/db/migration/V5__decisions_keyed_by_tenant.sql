-- A decision's id is derived from its event's id, which each tenant's orchestrator chooses: two tenants may send the
-- same one, and the second tenant's decision was taken for a replay of the first's and never archived. A decision is
-- now one per tenant and id.
ALTER TABLE ${schema}.policy_decisions DROP CONSTRAINT policy_decisions_pkey;
ALTER TABLE ${schema}.policy_decisions ADD PRIMARY KEY (tenant, decision_id);
