import { ApiError } from './errors';

/** What the edge found wrong with one rule of a pack (a 422's `details.problems`). */
export interface RuleProblem {
  rule: string | null;
  field: string | null;
  message: string;
}

/** The problems a refused rule pack carries, each naming its rule; none for any other error. */
export function ruleProblems(error: unknown): RuleProblem[] {
  if (!(error instanceof ApiError) || error.status !== 422 || !Array.isArray(error.details.problems)) return [];
  return error.details.problems.map((p: Record<string, unknown>) => ({
    rule: typeof p.rule === 'string' ? p.rule : null,
    field: typeof p.field === 'string' ? p.field : null,
    message: String(p.message ?? ''),
  }));
}

/** The problems of each rule of {@code names}, by rule name; a problem naming no rule of the pack goes under ''. */
export function problemsByRule(names: string[], problems: RuleProblem[]): Map<string, RuleProblem[]> {
  const byRule = new Map<string, RuleProblem[]>();
  problems.forEach((p) => {
    const key = p.rule !== null && names.includes(p.rule) ? p.rule : '';
    byRule.set(key, [...(byRule.get(key) ?? []), p]);
  });
  return byRule;
}
