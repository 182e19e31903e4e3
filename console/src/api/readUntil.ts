import { ApiError } from './errors';

/** How often and how long {@link readUntil} reads. */
export interface ReadLimits {
  intervalMs: number;
  limitMs: number;
}

/** A change the API accepted reaches its read route within seconds, longer on a loaded machine. */
export const APPLIED_WITHIN: ReadLimits = { intervalMs: 250, limitMs: 30000 };

/**
 * Reads until the answer shows what was just changed, and answers it. A PUT answered by a Streams app (a rule pack,
 * a budget) is in Kafka when it returns; the store that GET reads (a global table, the budget app's store) holds it
 * a moment later. Gives up after {@code limits.limitMs} with {@code gaveUp}'s message, naming what it last read.
 */
export async function readUntil<T>(
  read: () => Promise<T>,
  shows: (answer: T) => boolean,
  gaveUp: (last: T) => string,
  limits: ReadLimits = APPLIED_WITHIN,
): Promise<T> {
  const deadline = Date.now() + limits.limitMs;
  for (;;) {
    try {
      const answer = await read();
      if (shows(answer)) return answer;
      if (Date.now() >= deadline) throw new Error(gaveUp(answer));
    } catch (error) {
      // a read the API will answer in a moment (rate-limited, a store moving) says nothing of the change itself
      if (!passing(error) || Date.now() >= deadline) throw error;
    }
    await new Promise((resolve) => setTimeout(resolve, limits.intervalMs));
  }
}

/** A refusal that another read shortly after may not meet: 429, or the edge or a store not answering now. */
function passing(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 429 || error.status === 502 || error.status === 503 || error.status === 504);
}
