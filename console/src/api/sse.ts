// Server-sent events over fetch: a browser's EventSource cannot send the Authorization header every stream of the
// edge needs, so the console reads the stream itself, resumes with Last-Event-ID and reconnects.
import { ApiError, errorOf } from './errors';

export interface SseEvent {
  /** The event's id (the edge's resume position), or the last one seen when the event has none. */
  id: string | null;
  event: string;
  data: string;
}

/**
 * The text/event-stream format (HTML Living Standard, "interpreting an event stream"), fed chunk by chunk as the
 * network delivers them: a line or an event may span chunks.
 */
export class SseParser {
  private buffer = '';
  private data: string[] = [];
  private eventType = '';
  private hasData = false;
  /** The id of the event being read: it becomes lastEventId only once the event is complete. */
  private idBuffer: string | null = null;
  /**
   * The id of the last complete event, kept across events as the standard says (an event without an id resumes
   * from the last one): what a reconnection asks to resume after.
   */
  lastEventId: string | null = null;
  /** The server's `retry:` advice, in milliseconds. */
  retryMillis: number | null = null;

  /**
   * Drops what a connection left unfinished, as the standard does at the end of a stream: an event cut before its
   * blank line is not dispatched and its id not kept, so the next connection resumes before it and gets it whole.
   */
  reset(): void {
    this.buffer = '';
    this.data = [];
    this.eventType = '';
    this.hasData = false;
    this.idBuffer = this.lastEventId;
  }

  feed(chunk: string): SseEvent[] {
    this.buffer += chunk;
    const events: SseEvent[] = [];
    for (;;) {
      const end = this.buffer.search(/\r\n|\r|\n/);
      // a lone \r at the end may be the first half of \r\n: wait for the next chunk
      if (end < 0 || (end === this.buffer.length - 1 && this.buffer[end] === '\r')) break;
      const line = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + (this.buffer.startsWith('\r\n', end) ? 2 : 1));
      const event = this.line(line);
      if (event) events.push(event);
    }
    return events;
  }

  private line(line: string): SseEvent | null {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return null; // a comment: the edge's keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'data':
        this.data.push(value);
        this.hasData = true;
        break;
      case 'event':
        this.eventType = value;
        break;
      case 'id':
        if (!value.includes('\0')) this.idBuffer = value;
        break;
      case 'retry':
        if (/^\d+$/.test(value)) this.retryMillis = Number(value);
        break;
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    this.lastEventId = this.idBuffer;
    const event = this.hasData
      ? { id: this.lastEventId, event: this.eventType || 'message', data: this.data.join('\n') }
      : null;
    this.data = [];
    this.eventType = '';
    this.hasData = false;
    return event;
  }
}

export interface StreamOptions {
  url: string;
  token: string;
  onEvent: (event: SseEvent) => void;
  /** Told of every (re)connection's outcome: null when connected, the error when it failed. */
  onStatus?: (error: ApiError | Error | null) => void;
  signal: AbortSignal;
  /** First reconnection delay; doubled after each failure up to maxDelayMillis, reset once connected. */
  initialDelayMillis?: number;
  maxDelayMillis?: number;
}

/** Refusals that reconnecting cannot cure (bad token, no capability, another tenant, unknown route). */
const FINAL_STATUSES = new Set([400, 401, 403, 404, 406]);

/**
 * Follows one stream until the signal aborts: reconnects after the server ends the stream or the network fails,
 * each time sending the last event id seen so the edge resumes after it, not from now. Resolves when aborted, or
 * rejects with the API's error when the edge refuses the stream for good.
 */
export async function followStream(options: StreamOptions): Promise<void> {
  const { url, token, onEvent, onStatus, signal } = options;
  const initialDelay = options.initialDelayMillis ?? 1000;
  const maxDelay = options.maxDelayMillis ?? 30000;
  const parser = new SseParser();
  let delay = initialDelay;
  while (!signal.aborted) {
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream', Authorization: `Bearer ${token}` };
      parser.reset();
      if (parser.lastEventId !== null) headers['Last-Event-ID'] = parser.lastEventId;
      const response = await fetch(url, { headers, signal, cache: 'no-store' });
      // 429 (too many streams) and 503 (not ready) are worth another try; the catch below decides
      if (!response.ok) throw await errorOf(response);
      onStatus?.(null);
      delay = initialDelay;
      const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        parser.feed(value).forEach(onEvent);
      }
    } catch (error) {
      if (signal.aborted) return;
      onStatus?.(error instanceof Error ? error : new Error(String(error)));
      if (error instanceof ApiError && FINAL_STATUSES.has(error.status)) throw error;
    }
    await pause(parser.retryMillis ?? delay, signal);
    delay = Math.min(delay * 2, maxDelay);
  }
}

function pause(millis: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, millis);
    signal.addEventListener('abort', done, { once: true });
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
  });
}
