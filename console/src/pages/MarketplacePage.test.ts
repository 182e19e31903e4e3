import { describe, expect, it } from 'vitest';
import { shownSummary, type CapsuleSummary } from './MarketplacePage';

const capsule = (status: string, updatedAt: string): CapsuleSummary => ({
  capsule_id: 'cap-1',
  publisher: 'acme',
  status,
  name: 'Summarizer',
  version: '1.0.0',
  findings: 0,
  updated_at: updatedAt,
});

describe('shownSummary', () => {
  it('should show a change the stream brought after the page was loaded', () => {
    const listed = capsule('in_review', '2026-12-07T19:00:00Z');
    const streamed = capsule('approved', '2026-12-07T19:01:00Z');
    expect(shownSummary(listed, streamed)).toBe(streamed);
    expect(shownSummary(listed, undefined)).toBe(listed);
  });

  it('should not let an older streamed change hide what a page loaded later says', () => {
    const streamed = capsule('approved', '2026-12-07T19:01:00Z');
    const reloaded = capsule('revoked', '2026-12-07T19:05:00Z');
    expect(shownSummary(reloaded, streamed)).toBe(reloaded);
  });
});
