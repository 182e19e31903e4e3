import { describe, expect, it } from 'vitest';
import { PageErrorBoundary } from './PageErrorBoundary';

describe('PageErrorBoundary', () => {
  it('should keep what went wrong, to show it in place of the page', () => {
    const state = PageErrorBoundary.getDerivedStateFromError(new TypeError("Cannot read properties of undefined (reading 'map')"));
    expect(state.error?.message).toBe(
      "This page failed to show: Cannot read properties of undefined (reading 'map'). Open another page, or reload to sign in again.",
    );
    expect(PageErrorBoundary.getDerivedStateFromError('thrown text').error?.message).toContain('thrown text');
  });
});
