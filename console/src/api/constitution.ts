import { JsonText, segment } from './client';

/** What the edge answers about a constitution in force (GET /v1/constitution, /v1/constitution/{tenant}/hash). */
export interface ConstitutionStatus {
  scope: string;
  tenant?: string;
  version: string;
  hash: string;
  issued_at: string;
  key_id?: string | null;
}

/** The 202 of POST /v1/constitution: verified by the edge and published; the policy app activates it. */
export interface ConstitutionAccepted {
  scope: string;
  version: string;
  hash: string;
  status: 'accepted';
}

/** The route that shows the constitution of a scope once active: the global one, or a tenant's own. */
export function activeRoute(scope: string): string {
  return scope === 'global' ? '/v1/constitution' : `/v1/constitution/${segment(scope)}/hash`;
}

/** One verdict of the policy app on a bundle (GET /v1/constitution/history, /v1/constitution/{tenant}/history). */
export interface ConstitutionVerdict {
  event_id: string;
  scope: string;
  outcome: 'activated' | 'refused';
  version: string | null;
  hash: string | null;
  key_id: string | null;
  issued_at: string | null;
  timestamp: string;
  reason: string | null;
}

/** A scope's verdicts, newest first, as archived. */
export interface ConstitutionHistory {
  scope: string;
  history: ConstitutionVerdict[];
  truncated: boolean;
}

/** The route of a scope's history: the global constitution's, or a tenant's own. */
export function historyRoute(scope: string): string {
  return scope === 'global' ? '/v1/constitution/history' : `/v1/constitution/${segment(scope)}/history`;
}

/**
 * A signed bundle as pasted, checked only for being one JSON object and sent as pasted: the edge verifies everything
 * else (version, hash, signature) and says why it refuses.
 */
export function parseBundle(text: string): JsonText {
  let bundle: unknown;
  try {
    bundle = JSON.parse(text);
  } catch (e) {
    throw new Error(`The bundle is not JSON: ${(e as Error).message}`);
  }
  if (bundle === null || typeof bundle !== 'object' || Array.isArray(bundle)) {
    throw new Error('The bundle must be one JSON object: {version, issued_at, document, hash, signature, tenant?}');
  }
  return new JsonText(text);
}
