import { useEffect, useState } from 'react';
import type { Api } from '../api/client';
import { followStream, type SseEvent } from '../api/sse';

export interface StreamState {
  /** Connected and reading; false while (re)connecting. */
  live: boolean;
  /** The last refusal or network failure, cleared once connected again. */
  error: Error | undefined;
}

/** Follows an SSE route of the API while the component is on screen; {@code onEvent} sees every event. */
export function useStream(api: Api, url: string | null, onEvent: (event: SseEvent) => void): StreamState {
  const [state, setState] = useState<StreamState>({ live: false, error: undefined });
  useEffect(() => {
    if (url === null) return;
    const controller = new AbortController();
    followStream({
      url,
      token: api.session.token,
      signal: controller.signal,
      onEvent,
      onStatus: (error) => setState({ live: error === null, error: error ?? undefined }),
    }).catch((error: Error) => setState({ live: false, error }));
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, url]);
  return state;
}
