import { errorOf } from './errors';

/** Who is signed in: the token the API key was exchanged for, held in memory only (never in storage). */
export interface Session {
  token: string;
  subject: string;
  tenant: string;
  capabilities: string[];
  /** The token's id, to revoke it at sign-out. */
  jti: string;
  /** Epoch seconds, by this browser's clock: when the token's lifetime from now runs out. */
  expiresAt: number;
}

export const PLATFORM_OPERATOR = 'platform.operator';

export function holds(session: Session, capability: string): boolean {
  return session.capabilities.includes(capability);
}

/** Exchanges an API key for a token of its user (POST /v1/tokens/issue). */
export async function signIn(apiKey: string): Promise<Session> {
  const response = await fetch('/v1/tokens/issue', {
    method: 'POST',
    headers: { 'X-Api-Key': apiKey, 'Content-Type': 'application/json' },
    body: '{}',
  });
  if (!response.ok) throw await errorOf(response);
  const issued = await response.json();
  return {
    token: issued.token,
    subject: issued.sub,
    tenant: issued.tenant_id,
    capabilities: issued.capabilities,
    jti: issued.jti,
    // the lifetime, not the edge's `exp`: a browser whose clock runs an hour fast would end every session at once
    expiresAt: Date.now() / 1000 + issued.expires_in,
  };
}

/**
 * A JSON body sent as the user gave it, not parsed and written again: a signed document's hash covers its exact
 * numbers, which a round trip through JavaScript changes (1.0 becomes 1).
 */
export class JsonText {
  constructor(readonly text: string) {}
}

export interface Reply<T> {
  body: T;
  headers: Headers;
}

/**
 * The public API as the signed-in user: every call bears the session's token; a refusal throws its ApiError. A 401
 * (the token expired or was revoked) also tells {@code ended}: nothing more can be done with this session.
 */
export class Api {
  constructor(
    readonly session: Session,
    private readonly ended: (why: Error) => void = () => {},
    /** Where the API is: the console's own origin, unless a test serves it elsewhere. */
    private readonly base = '',
  ) {}

  /** Revokes this session's token (POST /v1/tokens/revoke): signed out, it is no use to whoever copies it. */
  async revoke(): Promise<void> {
    await this.send('POST', '/v1/tokens/revoke', { jti: this.session.jti });
  }

  async get<T>(path: string, query: Record<string, string | number | undefined> = {}): Promise<T> {
    return (await this.send<T>('GET', withQuery(path, query))).body;
  }

  async send<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply<T>> {
    const response = await fetch(this.base + path, {
      method,
      headers: {
        Authorization: `Bearer ${this.session.token}`,
        Accept: 'application/json',
        ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        ...headers,
      },
      body: body === undefined ? undefined : body instanceof JsonText ? body.text : JSON.stringify(body),
    });
    if (!response.ok) {
      const error = await errorOf(response);
      if (response.status === 401) this.ended(error);
      throw error;
    }
    const text = await response.text();
    return { body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
  }
}

/** {@code path} with the defined query parameters, encoded. */
export function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  Object.entries(query).forEach(([name, value]) => {
    if (value !== undefined && value !== '') params.set(name, String(value));
  });
  const encoded = params.toString();
  return encoded ? `${path}?${encoded}` : path;
}

/** A path segment (tenant, budget, capsule id) made safe for a URL. */
export const segment = encodeURIComponent;
