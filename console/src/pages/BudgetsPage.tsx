import { useState } from 'react';
import { saveBudget } from '../api/budgets';
import { segment, type Api } from '../api/client';
import { ErrorMessage, formatNumber, formatTime, Meter, Section, Show } from '../ui/parts';
import { useLoad } from '../ui/useLoad';
import type { PageProps } from '.';

export interface Budget {
  tenant: string;
  budget_id: string;
  limit_tokens?: number;
  limit_usd?: number;
  period?: string;
  hard?: boolean;
  period_start?: string;
  period_end?: string;
  spent_tokens?: number;
  spent_usd?: number;
  reserved_tokens?: number;
  remaining_tokens?: number | null;
  status_at?: string;
  projection?: {
    coverage: number;
    tokens: number;
    tokens_lower: number;
    tokens_upper: number;
    exhaustion_at: string | null;
  } | null;
}

const PERIODS = ['DAY', 'WEEK', 'MONTH', 'ROLLING'];

const readBudgets = (api: Api, tenant: string) => api.get<{ budgets: Budget[] }>(`/v1/budgets/${segment(tenant)}`);

export function BudgetsPage({ api, tenant }: PageProps) {
  const budgets = useLoad(() => readBudgets(api, tenant), [api, tenant], 5000);
  const canEdit = api.session.capabilities.includes('budget.admin');
  return (
    <>
      <Section title={`Budgets of ${tenant}`}>
        <Show loaded={budgets} what="budgets">
          {({ budgets: list }) =>
            list.length === 0 ? (
              <p>No budget is defined for {tenant}.</p>
            ) : (
              <table>
                <thead>
                  <tr>
                    <th>Budget</th>
                    <th>Period</th>
                    <th>Spent / limit (tokens)</th>
                    <th>Reserved</th>
                    <th>Projected at period end (interval)</th>
                    <th>Period ends</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((b) => (
                    <tr key={b.budget_id}>
                      <td>{b.budget_id}</td>
                      <td>{b.period}</td>
                      <td>
                        {formatNumber(b.spent_tokens)} / {formatNumber(b.limit_tokens)}
                        {b.limit_tokens ? (
                          <Meter label={`${b.budget_id} spent of limit`} value={b.spent_tokens ?? 0} max={b.limit_tokens} />
                        ) : null}
                      </td>
                      <td>{formatNumber(b.reserved_tokens)}</td>
                      <td>
                        {b.projection
                          ? `${formatNumber(b.projection.tokens)} (${formatNumber(b.projection.tokens_lower)}–${formatNumber(
                              b.projection.tokens_upper,
                            )}, ${formatNumber(b.projection.coverage * 100)} %)`
                          : '—'}
                      </td>
                      <td>{formatTime(b.period_end)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            )
          }
        </Show>
      </Section>
      {canEdit && <BudgetEditor api={api} tenant={tenant} budgets={budgets.data?.budgets ?? []} saved={budgets.reload} />}
    </>
  );
}

function BudgetEditor({ api, tenant, budgets, saved }: Pick<PageProps, 'api' | 'tenant'> & { budgets: Budget[]; saved: () => void }) {
  const [budgetId, setBudgetId] = useState('');
  const [limit, setLimit] = useState('');
  const [period, setPeriod] = useState('DAY');
  const [error, setError] = useState<Error>();
  const [done, setDone] = useState<string>();
  return (
    <Section title="Define or change a budget">
      <form
        className="inline"
        onSubmit={(e) => {
          e.preventDefault();
          setError(undefined);
          saveBudget(api, tenant, budgetId, { limit_tokens: Number(limit), period })
            .then(() => {
              // answered once the budget app has applied it
              setDone(`Budget ${budgetId} applied.`);
              saved();
            })
            .catch((err: Error) => (setDone(undefined), setError(err)));
        }}
      >
        <label>
          Budget id{' '}
          <input
            value={budgetId}
            onChange={(e) => {
              setBudgetId(e.target.value);
              // an existing budget's own limit and period: a change starts from them, not from the form's defaults
              const existing = budgets.find((b) => b.budget_id === e.target.value);
              if (existing?.period) setPeriod(existing.period);
              if (existing?.limit_tokens) setLimit(String(existing.limit_tokens));
            }}
            required
          />
        </label>
        <label>
          Limit (tokens) <input type="number" min={1} value={limit} onChange={(e) => setLimit(e.target.value)} required />
        </label>
        <label>
          Period{' '}
          <select value={period} onChange={(e) => setPeriod(e.target.value)}>
            {PERIODS.map((p) => (
              <option key={p}>{p}</option>
            ))}
          </select>
        </label>
        <button type="submit">Save</button>
      </form>
      {done && <p role="status">{done}</p>}
      {error && <ErrorMessage error={error} />}
    </Section>
  );
}
