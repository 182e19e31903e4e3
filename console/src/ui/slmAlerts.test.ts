import { describe, expect, it } from 'vitest';
import { alertStreamUrl } from './SlmAlerts';

describe('alertStreamUrl', () => {
  it('should follow every alert, from what the topic still holds, without a model', () => {
    expect(alertStreamUrl()).toBe('/v1/slm/alerts/stream?replay=recent');
  });

  it("should ask the route for one model@provider's alerts, encoded", () => {
    expect(alertStreamUrl({ model: 'llama-2-70b-chat', provider: 'together ai/us' })).toBe(
      '/v1/slm/alerts/stream?replay=recent&model=llama-2-70b-chat&provider=together%20ai%2Fus',
    );
  });
});
