/** What one call per tenant gave: the answers of the tenants that answered, and why each other one did not. */
export interface PerTenant<T> {
  answered: T[];
  failed: { tenant: string; error: Error }[];
}

/**
 * Asks every tenant at once. One tenant's refusal (a 429 among a platform's hundreds of tenants, a 503 while its
 * store moves) does not hide the others' answers, as one failure of Promise.all would.
 */
export async function perTenant<T>(tenants: string[], ask: (tenant: string) => Promise<T>): Promise<PerTenant<T>> {
  const settled = await Promise.allSettled(tenants.map(ask));
  const result: PerTenant<T> = { answered: [], failed: [] };
  settled.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') result.answered.push(outcome.value);
    else result.failed.push({ tenant: tenants[i], error: outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)) });
  });
  return result;
}

/** Why some tenants are missing, for the page to show beside the others' answers; null when none is. */
export function unanswered(failed: PerTenant<unknown>['failed']): Error | null {
  if (failed.length === 0) return null;
  const [first] = failed;
  return new Error(
    `${failed.length} tenant${failed.length === 1 ? '' : 's'} not shown: ${first.tenant}: ${first.error.message}` +
      (failed.length > 1 ? ` (and ${failed.length - 1} more)` : ''),
  );
}
