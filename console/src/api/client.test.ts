import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { Api, withQuery } from './client';
import { ApiError } from './errors';

describe('withQuery', () => {
  it('should leave out undefined and empty parameters and encode the rest', () => {
    expect(withQuery('/v1/marketplace/capsules', { q: 'a b&c', status: undefined, publisher: '', page: 2 })).toBe(
      '/v1/marketplace/capsules?q=a+b%26c&page=2',
    );
    expect(withQuery('/v1/tenants', {})).toBe('/v1/tenants');
  });
});

describe('Api', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  /** A real HTTP server on a free port that answers every request with `status` and the API's JSON error. */
  async function refusing(status: number, message: string): Promise<string> {
    server = createServer((_, response) => {
      response.writeHead(status, { 'Content-Type': 'application/json' });
      response.end(JSON.stringify({ error: status === 401 ? 'unauthorized' : 'forbidden', message, details: {} }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server!.address() as AddressInfo).port}`;
  }

  const session = { token: 't', subject: 'ops', tenant: 'acme', capabilities: [], jti: 'j', expiresAt: 0 };

  it('should end the session on a 401, whose token can do nothing more', async () => {
    const ended: Error[] = [];
    const api = new Api(session, (why) => ended.push(why), await refusing(401, 'the token expired'));

    await expect(api.get('/v1/tenants')).rejects.toEqual(new ApiError(401, 'unauthorized', 'the token expired'));
    expect(ended.map((e) => e.message)).toEqual(['the token expired']);
  });

  it('should keep the session on a 403: another call may be allowed', async () => {
    const ended: Error[] = [];
    const api = new Api(session, (why) => ended.push(why), await refusing(403, 'policy.admin needed'));

    await expect(api.get('/v1/policies/acme')).rejects.toBeInstanceOf(ApiError);
    expect(ended).toEqual([]);
  });
});
