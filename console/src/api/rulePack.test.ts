import { describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { problemsByRule, ruleProblems } from './rulePack';

describe('rule pack problems', () => {
  const refused = new ApiError(422, 'invalid', 'the rule pack is invalid', {
    problems: [
      { rule: 'ssn', field: 'pattern', message: 'not a valid regex' },
      { rule: 'ssn', field: 'weight', message: 'must be between 0 and 1' },
      { rule: null, field: 'rules', message: 'two rules are named pii' },
    ],
  });

  it('should read the problems of a 422 and nothing from other errors', () => {
    expect(ruleProblems(refused)).toHaveLength(3);
    expect(ruleProblems(new ApiError(412, 'precondition_failed', 'stale', { problems: [] }))).toEqual([]);
    expect(ruleProblems(new Error('network'))).toEqual([]);
  });

  it('should put each problem on its rule and the rest on the pack', () => {
    const byRule = problemsByRule(['ssn', 'pii'], ruleProblems(refused));
    expect(byRule.get('ssn')?.map((p) => p.field)).toEqual(['pattern', 'weight']);
    expect(byRule.get('')?.map((p) => p.message)).toEqual(['two rules are named pii']);
    expect(byRule.has('pii')).toBe(false);
  });
});
