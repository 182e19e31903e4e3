import { describe, expect, it } from 'vitest';
import { deadLetterQualifier } from './OverviewPage';

describe('deadLetterQualifier', () => {
  it("should word the API's offset count as the upper bound it is, and 0 as none", () => {
    expect(deadLetterQualifier(12)).toBe('At most ');
    expect(deadLetterQualifier(0)).toBe('');
  });
});
