import { Fragment } from 'react';
import { segment } from '../api/client';
import { perTenant } from '../api/perTenant';
import type { ConstitutionStatus } from '../api/constitution';
import { formatNumber, formatTime, Meter, Section, Show, Unanswered } from '../ui/parts';
import { SlmAlerts } from '../ui/SlmAlerts';
import { useLoad } from '../ui/useLoad';
import type { PageProps } from '.';
import type { Budget } from './BudgetsPage';
import { userOf, type TrainingState } from './TrainingPage';

/** GET /v1/audit/decisions/rate: the archive's count of the last minute, by outcome, per second. */
interface DecisionRate {
  tenant: string;
  from: string;
  to: string;
  per_second: Record<string, number>;
}

interface DeadLetters {
  topic: string;
  held: number;
  at: string;
}

const REFRESH_MILLIS = 5000;

export function OverviewPage({ api, tenant, tenants, operator }: PageProps) {
  const constitution = useLoad(
    async () => ({
      active: await api.get<ConstitutionStatus>(`/v1/constitution/${segment(tenant)}/hash`),
      checkedAt: new Date().toISOString(),
    }),
    [api, tenant],
    REFRESH_MILLIS,
  );
  const training = useLoad(
    () => perTenant(tenants, (t) => api.get<TrainingState>(`/v1/training/status/${segment(t)}`)),
    [api, tenants.join()],
    REFRESH_MILLIS,
  );
  const budgets = useLoad(() => api.get<{ budgets: Budget[] }>(`/v1/budgets/${segment(tenant)}`), [api, tenant], REFRESH_MILLIS);
  const rate = useLoad(() => api.get<DecisionRate>(`/v1/audit/decisions/rate?tenant=${segment(tenant)}`), [api, tenant], REFRESH_MILLIS);
  return (
    <div className="grid">
      <Section title={`Decisions of ${tenant}`}>
        <Show loaded={rate} what="the decision rate">
          {({ per_second, from, to }) => {
            const outcomes = Object.entries(per_second);
            return (
              <>
                {outcomes.length === 0 ? (
                  <p>No decision archived in the last minute.</p>
                ) : (
                  <dl>
                    {outcomes.map(([outcome, perSecond]) => (
                      <Fragment key={outcome}>
                        <dt>{outcome}</dt>
                        <dd>{formatNumber(perSecond, 2)} per second</dd>
                      </Fragment>
                    ))}
                  </dl>
                )}
                <p className="status">
                  From {formatTime(from)} to {formatTime(to)}
                </p>
              </>
            );
          }}
        </Show>
      </Section>
      {operator && <DeadLetterCount api={api} />}
      <Section title="Constitution">
        <Show loaded={constitution} what="the constitution">
          {({ active, checkedAt }) => (
            <dl>
              <dt>Version</dt>
              <dd>{active.version}</dd>
              <dt>Hash</dt>
              <dd className="mono" title={active.hash}>
                {active.hash.slice(0, 16)}…
              </dd>
              <dt>Scope</dt>
              <dd>{active.scope}</dd>
              <dt>Issued</dt>
              <dd>{formatTime(active.issued_at)}</dd>
              <dt>Checked</dt>
              <dd>{formatTime(checkedAt)}</dd>
            </dl>
          )}
        </Show>
      </Section>
      <Section title="Training mode">
        <Show loaded={training} what="training mode">
          {({ answered: states, failed }) => {
            const enabled = states.filter((s) => s.enabled);
            return (
              <>
                <Unanswered failed={failed} />
                {enabled.length === 0 ? (
                  <p>No tenant is in training mode ({states.length} checked).</p>
                ) : (
                  <ul className="plain">
                    {enabled.map((s) => (
                      <li key={s.tenant}>
                        <strong>{s.tenant}</strong> held by {userOf(s.locked_by, s.locked_by_tenant, s.tenant)} until {formatTime(s.expires_at)}
                        {s.reason && <> — {s.reason}</>}
                      </li>
                    ))}
                  </ul>
                )}
              </>
            );
          }}
        </Show>
      </Section>
      <SlmAlerts api={api} title="Open SLM alerts" />
      <Section title={`Budgets of ${tenant}`}>
        <Show loaded={budgets} what="budgets">
          {({ budgets: list }) =>
            list.length === 0 ? (
              <p>No budget is defined for {tenant}.</p>
            ) : (
              <ul className="plain">
                {list.map((b) => (
                  <li key={b.budget_id}>
                    <span>
                      {b.budget_id}: {formatNumber(b.spent_tokens)} of {formatNumber(b.limit_tokens)} tokens
                    </span>
                    {b.limit_tokens ? <Meter label={`${b.budget_id} spent`} value={b.spent_tokens ?? 0} max={b.limit_tokens} /> : null}
                  </li>
                ))}
              </ul>
            )
          }
        </Show>
      </Section>
    </div>
  );
}

/**
 * How the page words the API's count: offsets, an upper bound on the records (the apps' transaction markers take
 * offsets too), exact only at 0.
 */
export function deadLetterQualifier(held: number): string {
  return held > 0 ? 'At most ' : '';
}

/** Every app's dead letters: a platform operator's to see, as no single tenant owns them. */
function DeadLetterCount({ api }: Pick<PageProps, 'api'>) {
  const deadLetters = useLoad(() => api.get<DeadLetters>('/v1/audit/dead-letters'), [api], REFRESH_MILLIS);
  return (
    <Section title="Dead letters">
      <Show loaded={deadLetters} what="the dead-letter count">
        {({ topic, held, at }) => (
          <p>
            {deadLetterQualifier(held)}
            <strong>{formatNumber(held)}</strong> records in {topic} at {formatTime(at)}
          </p>
        )}
      </Show>
    </Section>
  );
}
