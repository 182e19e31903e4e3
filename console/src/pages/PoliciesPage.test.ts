import { describe, expect, it } from 'vitest';
import { describePack } from './PoliciesPage';

describe('describePack', () => {
  it('should say a tenant has no pack rather than show a version and a rule count the API never returned', () => {
    expect(describePack(null)).toBe('No rule pack yet: saving creates its first version.');
  });

  it("should show the pack's version, rule count and last change", () => {
    const rule = { name: 'pii', pattern: '\\d{3}-\\d{2}-\\d{4}' };
    expect(describePack({ version: 3, rules: [rule], updated_by: 'carol' })).toMatch(/^Version 3, 1 rule, changed .* by carol\.$/);
    expect(describePack({ version: 4, rules: [rule, rule], updated_by: undefined })).toMatch(/^Version 4, 2 rules, changed .* by —\.$/);
  });
});
