import { describe, expect, it } from 'vitest';
import { walkOf } from './pager';

describe('walkOf', () => {
  it('should keep the walk of the same key and start another key from its first page', () => {
    const third = { key: 'acme/', cursors: [undefined, 'c1', 'c2'] };
    expect(walkOf(third, 'acme/')).toBe(third);
    const denied = walkOf(third, 'acme/deny');
    expect(denied).toEqual({ key: 'acme/deny', cursors: [undefined] });
    // kept instead of the earlier walk, so that coming back does not reopen its third page
    expect(walkOf(denied, 'acme/')).toEqual({ key: 'acme/', cursors: [undefined] });
  });
});
