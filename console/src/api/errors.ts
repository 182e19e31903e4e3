/** A refusal of the edge: its JSON `{error, message, details}`, or what the page can say when there is none. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly kind: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** The error a failed response carries, read from its JSON body; a body that is not the edge's JSON says so. */
export async function errorOf(response: Response): Promise<ApiError> {
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    if (body && typeof body.message === 'string') {
      return new ApiError(response.status, String(body.error ?? 'error'), body.message, body.details ?? {});
    }
  } catch {
    // not JSON: a proxy's page, or a truncated body
  }
  return new ApiError(response.status, 'http', `HTTP ${response.status} ${response.statusText}`.trim());
}
