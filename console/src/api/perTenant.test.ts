import { describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { perTenant, unanswered } from './perTenant';

describe('perTenant', () => {
  it("should keep the answers of every tenant that answered when another's call fails", async () => {
    const result = await perTenant(['a', 'b', 'c'], async (tenant) => {
      if (tenant === 'b') throw new ApiError(429, 'rate_limited', 'too many requests for tenant b');
      return { tenant, enabled: false };
    });

    expect(result.answered).toEqual([
      { tenant: 'a', enabled: false },
      { tenant: 'c', enabled: false },
    ]);
    expect(result.failed.map((f) => f.tenant)).toEqual(['b']);
    expect(unanswered(result.failed)?.message).toBe('1 tenant not shown: b: too many requests for tenant b');
  });

  it('should say how many more failed, and nothing when none did', async () => {
    const result = await perTenant(['a', 'b'], async (tenant) => {
      throw new Error(`${tenant} is down`);
    });

    expect(unanswered(result.failed)?.message).toBe('2 tenants not shown: a: a is down (and 1 more)');
    expect(unanswered([])).toBeNull();
  });
});
