import { useCallback, useEffect, useState } from 'react';

export interface Loaded<T> {
  data: T | undefined;
  error: Error | undefined;
  loading: boolean;
  reload: () => void;
}

/**
 * Runs {@code load} when {@code deps} change (and every {@code refreshMillis} when given), keeping the last answer
 * on screen while the next one loads; an answer that arrives after the deps changed is dropped.
 */
export function useLoad<T>(load: () => Promise<T>, deps: unknown[], refreshMillis?: number): Loaded<T> {
  const [data, setData] = useState<T>();
  const [error, setError] = useState<Error>();
  const [loading, setLoading] = useState(true);
  const [generation, setGeneration] = useState(0);
  const reload = useCallback(() => setGeneration((g) => g + 1), []);

  useEffect(() => {
    let current = true;
    setLoading(true);
    load()
      .then((value) => current && (setData(value), setError(undefined)))
      .catch((e: Error) => current && setError(e))
      .finally(() => current && setLoading(false));
    const timer = refreshMillis ? setTimeout(reload, refreshMillis) : undefined;
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, generation]);

  return { data, error, loading, reload };
}
