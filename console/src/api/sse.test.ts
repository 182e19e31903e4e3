import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ApiError } from './errors';
import { followStream, SseParser, type SseEvent } from './sse';

describe('SseParser', () => {
  it('should parse events split across chunks at any point', () => {
    const stream = 'id: 0-5\nevent: decision\ndata: {"a":1}\n\n: keep-alive\n\nid: 0-6\ndata: x\n\n';
    for (let cut = 1; cut < stream.length; cut++) {
      const parser = new SseParser();
      const events = [...parser.feed(stream.slice(0, cut)), ...parser.feed(stream.slice(cut))];
      expect(events).toEqual([
        { id: '0-5', event: 'decision', data: '{"a":1}' },
        { id: '0-6', event: 'message', data: 'x' },
      ]);
    }
  });

  it('should join multi-line data and accept CRLF, CR and LF line ends', () => {
    const events = new SseParser().feed('data: one\r\ndata:two\rdata:  three\n\n');
    expect(events).toEqual([{ id: null, event: 'message', data: 'one\ntwo\n three' }]);
  });

  it('should keep the last id for an event without one and read the retry advice', () => {
    const parser = new SseParser();
    const events = parser.feed('id: 7\ndata: a\n\nretry: 2500\ndata: b\n\nevent: ready\n\n');
    expect(events.map((e) => e.id)).toEqual(['7', '7']);
    expect(parser.retryMillis).toBe(2500);
    expect(parser.lastEventId).toBe('7');
  });

  it('should not dispatch a lone CR before knowing whether LF follows', () => {
    const parser = new SseParser();
    expect(parser.feed('data: a\r')).toEqual([]);
    expect(parser.feed('\n\r\n')).toEqual([{ id: null, event: 'message', data: 'a' }]);
  });
});

describe('followStream', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A real HTTP server on a free port that answers each connection with the next of `answers`. */
  async function serve(answers: ((headers: IncomingHttpHeaders) => [number, string])[]): Promise<{
    url: string;
    requests: IncomingHttpHeaders[];
  }> {
    const requests: IncomingHttpHeaders[] = [];
    server = createServer((request, response) => {
      requests.push(request.headers);
      const answer = answers[Math.min(requests.length - 1, answers.length - 1)];
      const [status, body] = answer(request.headers);
      response.writeHead(status, { 'Content-Type': status === 200 ? 'text/event-stream' : 'application/json' });
      response.end(body); // the stream ends: the client must come back
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server!.address() as AddressInfo).port}/stream`, requests };
  }

  it('should send the token, reconnect after the stream ends and resume after the last event id', async () => {
    const { url, requests } = await serve([
      () => [200, 'id: 0-1\nevent: capsule\ndata: first\n\nid: 0-2\nevent: capsule\ndata: second\n\n'],
      (headers) => [200, `id: 0-3\nevent: capsule\ndata: after ${headers['last-event-id']}\n\n`],
    ]);
    const controller = new AbortController();
    const seen: SseEvent[] = [];
    const done = followStream({
      url,
      token: 'the-token',
      signal: controller.signal,
      initialDelayMillis: 10,
      onEvent: (event) => {
        seen.push(event);
        if (seen.length === 3) controller.abort();
      },
    });
    await done;
    expect(seen.map((e) => e.data)).toEqual(['first', 'second', 'after 0-2']);
    expect(requests[0].authorization).toBe('Bearer the-token');
    expect(requests[0]['last-event-id']).toBeUndefined();
    expect(requests[1]['last-event-id']).toBe('0-2');
  });

  it('should resume before an event the connection cut and get it whole', async () => {
    const { url, requests } = await serve([
      // the second event is cut after its id, before its blank line
      () => [200, 'id: 0-1\nevent: capsule\ndata: first\n\nid: 0-2\nevent: capsule\ndata: {"sec'],
      (headers) => [200, `id: 0-2\nevent: capsule\ndata: second after ${headers['last-event-id']}\n\n`],
    ]);
    const controller = new AbortController();
    const seen: SseEvent[] = [];
    await followStream({
      url,
      token: 't',
      signal: controller.signal,
      initialDelayMillis: 10,
      onEvent: (event) => {
        seen.push(event);
        if (seen.length === 2) controller.abort();
      },
    });
    expect(seen).toEqual([
      { id: '0-1', event: 'capsule', data: 'first' },
      { id: '0-2', event: 'capsule', data: 'second after 0-1' },
    ]);
    expect(requests[1]['last-event-id']).toBe('0-1');
  });

  it('should stop with the API message when the edge refuses the stream for good', async () => {
    const { url, requests } = await serve([
      () => [403, '{"error":"forbidden","message":"tenant b may not read tenant a","details":{}}'],
    ]);
    const statuses: (Error | null)[] = [];
    const failure = followStream({
      url,
      token: 't',
      signal: new AbortController().signal,
      onEvent: () => {},
      onStatus: (status) => statuses.push(status),
    });
    await expect(failure).rejects.toEqual(new ApiError(403, 'forbidden', 'tenant b may not read tenant a'));
    expect(requests).toHaveLength(1);
    expect(statuses.map((s) => s?.message)).toEqual(['tenant b may not read tenant a']);
  });

  it('should try again after a 503 and connect once the edge is ready', async () => {
    const { url, requests } = await serve([
      () => [503, '{"error":"not_ready","message":"store rebalancing","details":{}}'],
      () => [200, 'id: 1-1\nevent: ready\ndata: {}\n\n'],
    ]);
    const controller = new AbortController();
    const statuses: (string | null)[] = [];
    await followStream({
      url,
      token: 't',
      signal: controller.signal,
      initialDelayMillis: 10,
      onEvent: () => controller.abort(),
      onStatus: (status) => statuses.push(status ? status.message : null),
    });
    expect(requests).toHaveLength(2);
    expect(statuses).toEqual(['store rebalancing', null]);
  });
});
