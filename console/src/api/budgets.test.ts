import { describe, expect, it } from 'vitest';
import { changedDefinition } from './budgets';

describe('a budget change', () => {
  it('should keep every field of the definition it does not change, and none of the status', () => {
    const current = {
      tenant: 't',
      budget_id: 'b',
      provider: 'openai',
      model: 'gpt-4o',
      capsule_id: null,
      limit_tokens: 5000,
      limit_usd: 12.5,
      period: 'WEEK',
      time_zone: 'Europe/Paris',
      rolling_seconds: null,
      thresholds_percent: [25, 75],
      hard: false,
      fail_closed: false,
      updated_at: '2026-12-07T10:00:00Z',
      spent_tokens: 1200,
      period_end: '2026-12-14T00:00:00Z',
    };
    expect(changedDefinition(current, { limit_tokens: 2500, period: 'DAY' })).toEqual({
      provider: 'openai',
      model: 'gpt-4o',
      limit_tokens: 2500,
      limit_usd: 12.5,
      period: 'DAY',
      time_zone: 'Europe/Paris',
      thresholds_percent: [25, 75],
      hard: false,
      fail_closed: false,
    });
  });

  it('should drop a rolling window when the period becomes a calendar one', () => {
    const rolling = { limit_tokens: 100, period: 'ROLLING', rolling_seconds: 60, hard: true };
    expect(changedDefinition(rolling, { limit_tokens: 200, period: 'ROLLING' })).toEqual({ ...rolling, limit_tokens: 200 });
    expect(changedDefinition(rolling, { limit_tokens: 200, period: 'DAY' })).toEqual({ limit_tokens: 200, period: 'DAY', hard: true });
  });

  it('should define a new budget with only what the form gives', () => {
    expect(changedDefinition(undefined, { limit_tokens: 5000, period: 'DAY' })).toEqual({ limit_tokens: 5000, period: 'DAY' });
  });
});
