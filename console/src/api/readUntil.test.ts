import { describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { readUntil } from './readUntil';

describe('reading until a change shows', () => {
  it('should read again until the answer shows the change, and answer it', async () => {
    const versions = [1, 1, 2, 3];
    let reads = 0;
    const answer = await readUntil(
      async () => versions[reads++],
      (version) => version >= 2,
      (last) => `still ${last}`,
      { intervalMs: 1, limitMs: 5000 },
    );
    expect(answer).toBe(2);
    expect(reads).toBe(3);
  });

  it('should give up after its limit, saying what it last read', async () => {
    let reads = 0;
    const reading = readUntil(
      async () => ++reads,
      () => false,
      (last) => `version 2 is not there yet: read ${last} times`,
      { intervalMs: 5, limitMs: 30 },
    );
    await expect(reading).rejects.toThrow(/^version 2 is not there yet: read \d+ times$/);
    expect(reads).toBeGreaterThan(1);
  });

  it('should read again after a refusal that passes, such as a 503 while a store moves', async () => {
    const answers: (number | ApiError)[] = [1, new ApiError(503, 'not_ready', 'the store is moving'), new ApiError(429, 'rate_limited', 'slow down'), 2];
    let reads = 0;
    const answer = await readUntil(
      async () => {
        const next = answers[reads++];
        if (next instanceof ApiError) throw next;
        return next;
      },
      (version) => version >= 2,
      (last) => `still ${last}`,
      { intervalMs: 1, limitMs: 5000 },
    );
    expect(answer).toBe(2);
    expect(reads).toBe(4);
  });

  it('should pass on a refusal of the read itself', async () => {
    const reading = readUntil(
      () => Promise.reject(new Error('tenant xstest has no rule pack')),
      () => true,
      () => 'unused',
    );
    await expect(reading).rejects.toThrow('tenant xstest has no rule pack');
  });
});
