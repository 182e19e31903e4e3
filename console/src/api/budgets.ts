import { segment, type Api } from './client';

/**
 * What a PUT of /v1/budgets/{tenant}/{budget} holds. A PUT replaces the whole definition: a field left out takes its
 * default (no scope, no USD limit, hard, failing closed), so a change sends every field it does not change.
 */
const DEFINITION_FIELDS = [
  'provider',
  'model',
  'capsule_id',
  'limit_tokens',
  'limit_usd',
  'period',
  'time_zone',
  'rolling_seconds',
  'thresholds_percent',
  'hard',
  'fail_closed',
] as const;

export type BudgetChange = { limit_tokens: number; period: string };

/** The definition to PUT: {@code current}'s (as GET answers it, status fields and all) with {@code change} applied. */
export function changedDefinition(current: Record<string, unknown> | undefined, change: BudgetChange): Record<string, unknown> {
  const definition: Record<string, unknown> = {};
  for (const field of DEFINITION_FIELDS) {
    if (current?.[field] !== undefined && current[field] !== null) definition[field] = current[field];
  }
  // a rolling window's length means nothing to a calendar period (the API refuses it there)
  if (change.period !== 'ROLLING') delete definition.rolling_seconds;
  return { ...definition, ...change };
}

/** Defines the budget, or changes only {@code change}'s fields of the one the API holds now. */
export async function saveBudget(api: Api, tenant: string, budgetId: string, change: BudgetChange): Promise<void> {
  // the tenant's list, not the budget's own route: a new budget's 404 would be a failed request in the browser
  const { budgets } = await api.get<{ budgets: Record<string, unknown>[] }>(`/v1/budgets/${segment(tenant)}`);
  const current = budgets.find((b) => b.budget_id === budgetId);
  await api.send('PUT', `/v1/budgets/${segment(tenant)}/${segment(budgetId)}`, changedDefinition(current, change));
}
