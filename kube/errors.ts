/**
 * API errors are mapped once, here (docs/conventions.md §3). client-node's ApiException puts response headers
 * into its message, so callers never show that message: they show {@link ApiError.message} and
 * each cause's field. This module imports nothing from client-node, so it stays pure and cheap.
 */

/** One field-level cause, as a CEL or schema rejection names it (`spec.runStrategy`, ...). */
export type ApiErrorCause = Readonly<{ field: string; message: string; reason?: string }>;

/** What a caller needs from any failed API call, network failures included. */
export type ApiError = Readonly<{
  /** HTTP status; 0 when no response arrived (connection refused, timeout, reset). */
  code: number;
  /** Kubernetes' CamelCase reason (`NotFound`, `Conflict`, `Invalid`, ...) or ours for network errors. */
  reason: string;
  /** A human sentence, never containing headers or a stack. */
  message: string;
  causes: readonly ApiErrorCause[];
  /** True when the same call may succeed later: 409 Conflict, 429, 5xx, timeouts, refused connections. */
  retryable: boolean;
}>;

/** Thrown by kube/ for a non-2xx response; carries the mapped error and only that. */
export class KubeApiError extends Error {
  override readonly name = 'KubeApiError';
  constructor(readonly apiError: ApiError) {
    super(apiError.message);
  }

  /** The HTTP status, 0 for network errors. */
  get code(): number {
    return this.apiError.code;
  }
}

const REASON_BY_CODE: Readonly<Record<number, string>> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
};

const RETRYABLE_NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** Whether a status code and reason mean "the same call may succeed later". */
export function isRetryableStatus(code: number, reason: string): boolean {
  // AlreadyExists is a 409 too, but repeating a create never helps: the object is there.
  if (code === 409) return reason !== 'AlreadyExists';
  return code === 429 || code >= 500;
}

function record(u: unknown): Record<string, unknown> | undefined {
  return typeof u === 'object' && u !== null ? (u as Record<string, unknown>) : undefined;
}

function str(u: unknown): string | undefined {
  return typeof u === 'string' && u.length > 0 ? u : undefined;
}

function parseBody(body: unknown): Record<string, unknown> | undefined {
  if (typeof body !== 'string') return record(body);
  try {
    return record(JSON.parse(body));
  } catch {
    return undefined;
  }
}

function causesOf(details: Record<string, unknown> | undefined): ApiErrorCause[] {
  const raw = details?.causes;
  if (!Array.isArray(raw)) return [];
  return raw.flatMap((c: unknown): ApiErrorCause[] => {
    const cause = record(c);
    if (cause === undefined) return [];
    const reason = str(cause.reason);
    const base = { field: str(cause.field) ?? '', message: str(cause.message) ?? '' };
    return [reason === undefined ? base : { ...base, reason }];
  });
}

function defaultReason(code: number): string {
  return REASON_BY_CODE[code] ?? (code >= 500 ? 'InternalError' : 'Unknown');
}

// A proxy or an aggregated API server may answer in plain text; keep a bounded piece of it.
function plainText(body: unknown, parsed: Record<string, unknown> | undefined): string | undefined {
  return typeof body === 'string' && parsed === undefined ? str(body.trim().slice(0, 500)) : undefined;
}

/**
 * Maps an HTTP status and its body (a `metav1.Status` as JSON text or object, or anything else)
 * to an {@link ApiError}. Pure; never throws.
 */
export function apiErrorFromStatus(code: number, body: unknown): ApiError {
  const status = parseBody(body);
  const reason = str(status?.reason) ?? defaultReason(code);
  const message = str(status?.message) ?? plainText(body, status) ?? `The API server answered ${code} ${reason}`;
  return {
    code,
    reason,
    message,
    causes: causesOf(record(status?.details)),
    retryable: isRetryableStatus(code, reason),
  };
}

function networkCode(e: unknown): string | undefined {
  // undici wraps the socket error: TypeError('fetch failed', { cause: { code: 'ECONNREFUSED' } }).
  for (let cur: unknown = e, depth = 0; cur !== undefined && depth < 5; depth += 1) {
    const r = record(cur);
    const code = str(r?.code);
    if (code !== undefined && (code.startsWith('E') || code.startsWith('UND_ERR'))) return code;
    cur = r?.cause;
  }
  return undefined;
}

function isTimeout(e: unknown): boolean {
  const name = str(record(e)?.name);
  return name === 'TimeoutError' || name === 'AbortError';
}

function fromNetwork(e: unknown): ApiError | undefined {
  const code = networkCode(e);
  if (code !== undefined) {
    const address = record(record(e)?.cause) ?? record(e);
    const where = str(address?.address) !== undefined ? ` (${String(address?.address)}:${String(address?.port)})` : '';
    const reason = code === 'ECONNREFUSED' ? 'ConnectionRefused' : 'NetworkError';
    return {
      code: 0,
      reason,
      message: `Could not reach the API server${where}: ${code}`,
      causes: [],
      retryable: RETRYABLE_NETWORK_CODES.has(code),
    };
  }
  if (isTimeout(e))
    return { code: 0, reason: 'Timeout', message: 'The API request timed out', causes: [], retryable: true };
  return undefined;
}

/** client-node's ApiException, recognised by shape so this module does not import client-node. */
function fromApiException(e: unknown): ApiError | undefined {
  const r = record(e);
  if (r === undefined || typeof r.code !== 'number' || !('body' in r) || !('headers' in r)) return undefined;
  return apiErrorFromStatus(r.code, r.body);
}

/**
 * Maps anything a kube/ call or a client-node API call threw to an {@link ApiError}.
 * Never throws; an unknown error keeps only its own message (code 0, reason `Unknown`, not retryable).
 */
export function toApiError(e: unknown): ApiError {
  if (e instanceof KubeApiError) return e.apiError;
  const mapped = fromApiException(e) ?? fromNetwork(e);
  if (mapped !== undefined) return mapped;
  const message = e instanceof Error ? e.message : String(e);
  return { code: 0, reason: 'Unknown', message, causes: [], retryable: false };
}

/** True for a 404 (the object or its namespace is not there). */
export const isNotFound = (e: unknown): boolean => toApiError(e).code === 404;
/** True for a 409 caused by a stale `resourceVersion` (not AlreadyExists). */
export const isConflict = (e: unknown): boolean => {
  const a = toApiError(e);
  return a.code === 409 && a.reason !== 'AlreadyExists';
};
/** True for a 409 AlreadyExists on create: for deterministic names it means "already done". */
export const isAlreadyExists = (e: unknown): boolean => toApiError(e).reason === 'AlreadyExists';
/** True for 410 Gone / Expired: a watch or list continuation fell out of etcd's window. */
export const isGone = (e: unknown): boolean => toApiError(e).code === 410;

/** One line for logs and the CLI: the message, then each cause as `field: message`. */
export function formatApiError(e: ApiError): string {
  const causes = e.causes.map((c) => (c.field === '' ? c.message : `${c.field}: ${c.message}`));
  const extra = causes.filter((c) => !e.message.includes(c));
  return extra.length === 0 ? e.message : `${e.message} (${extra.join('; ')})`;
}
