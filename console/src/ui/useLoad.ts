import { useCallback, useEffect, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/** What one load gave: its answer or its error. */
export type Outcome<T> = { value: T } | { error: Error };

/**
 * Runs {@code load} now and, given {@code refreshMillis}, again that long after each outcome: counted from the
 * answer, not from the start, so an answer slower than the period (a store still rebalancing answers 503 after
 * retrying for 5 s) is shown, not dropped by the next start. Returns the stop: no outcome is reported after it.
 */
export function loadRepeatedly<T>(
  load: () => Promise<T>,
  refreshMillis: number | undefined,
  report: (outcome: Outcome<T>) => void,
): () => void {
  let stopped = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    load()
      .then((value): Outcome<T> => ({ value }), (error: Error): Outcome<T> => ({ error }))
      .then((outcome) => {
        if (stopped) return;
        report(outcome);
        if (refreshMillis) timer = setTimeout(run, refreshMillis);
      });
  };
  run();
  return () => {
    stopped = true;
    clearTimeout(timer);
  };
}

/** Whether two dependency lists hold the same values, as React compares them. */
export function sameDeps(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((value, i) => Object.is(value, b[i]));
}

/**
 * Runs {@code load} when {@code deps} change (and every {@code refreshMillis} after each answer when given), keeping
 * the last answer on screen while the next one for the same deps loads. An answer is shown only for the deps it was
 * loaded for: once they change (another model, page or filter), the old answer is not shown under the new choice.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], refreshMillis?: number): Loaded<T> {
  const [result, setResult] = useState<{ deps: unknown[]; outcome: Outcome<T>; lastValue: T | undefined }>();
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(
    () =>
      loadRepeatedly(load, refreshMillis, (outcome) =>
        setResult((before) => ({
          deps,
          outcome,
          // an error keeps the answer before it on screen, when it was for the same deps
          lastValue: 'value' in outcome ? outcome.value : before && sameDeps(before.deps, deps) ? before.lastValue : undefined,
        })),
      ),
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [...deps, generation],
  );

  const current = result && sameDeps(result.deps, deps) ? result : undefined;
  return {
    data: current?.lastValue,
    error: current && 'error' in current.outcome ? current.outcome.error : undefined,
    loading: current === undefined,
    reload,
  };
}
