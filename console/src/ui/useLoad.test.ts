import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadRepeatedly, sameDeps, type Outcome } from './useLoad';

describe('loadRepeatedly', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  /** A load whose every call answers `millis` later, with the number of the call (or fails on `failing` calls). */
  function slowLoad(millis: number, failing: number[] = []) {
    const starts: number[] = [];
    const load = () => {
      starts.push(Date.now());
      const call = starts.length;
      return new Promise<number>((resolve, reject) =>
        setTimeout(() => (failing.includes(call) ? reject(new Error(`call ${call} failed`)) : resolve(call)), millis),
      );
    };
    return { load, starts };
  }

  it('should show an answer slower than the refresh period and refresh a period after it', async () => {
    const { load, starts } = slowLoad(8000, [1]);
    const outcomes: Outcome<number>[] = [];
    const started = Date.now();
    const stop = loadRepeatedly(load, 5000, (outcome) => outcomes.push(outcome));

    await vi.advanceTimersByTimeAsync(8000);
    expect(outcomes).toEqual([{ error: new Error('call 1 failed') }]);
    await vi.advanceTimersByTimeAsync(5000 + 8000);
    expect(outcomes).toEqual([{ error: new Error('call 1 failed') }, { value: 2 }]);
    expect(starts.map((t) => t - started)).toEqual([0, 13000]);
    stop();
  });

  it('should report nothing once stopped, not even the answer in flight', async () => {
    const { load, starts } = slowLoad(1000);
    const outcomes: Outcome<number>[] = [];
    const stop = loadRepeatedly(load, 5000, (outcome) => outcomes.push(outcome));
    stop();
    await vi.advanceTimersByTimeAsync(60000);
    expect(outcomes).toEqual([]);
    expect(starts).toHaveLength(1);
  });

  it('should load once without a refresh period', async () => {
    const { load, starts } = slowLoad(10);
    const outcomes: Outcome<number>[] = [];
    loadRepeatedly(load, undefined, (outcome) => outcomes.push(outcome));
    await vi.advanceTimersByTimeAsync(60000);
    expect(outcomes).toEqual([{ value: 1 }]);
    expect(starts).toHaveLength(1);
  });
});

describe('sameDeps', () => {
  it('should compare values one by one, as React does', () => {
    const api = {};
    expect(sameDeps([api, 'm1', 2], [api, 'm1', 2])).toBe(true);
    expect(sameDeps([api, 'm1'], [api, 'm2'])).toBe(false);
    expect(sameDeps([api], [{}])).toBe(false);
    expect(sameDeps([NaN], [NaN])).toBe(true);
  });
});
