import { CopyForgeError } from '../../core/errors.js';
import { sleep } from '../../core/sleep.js';

/** Why a request is being retried. */
export interface RetryInfo {
  /** The attempt that failed, from 1. */
  attempt: number;
  /** How long the client waits before the next attempt, in milliseconds. */
  delayMs: number;
  /** `http-<status>` or the network error code, e.g. `ECONNRESET`. */
  reason: string;
  /** The request, as `METHOD /path` (never headers or the API key). */
  request: string;
}

/** Settings of the HTTP client behind {@link openAICompatibleBackend}. */
export interface HttpClientOptions {
  /** Sent as `Authorization: Bearer <apiKey>`; redacted from every error. */
  apiKey?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Time limit of one attempt, in milliseconds. */
  timeoutMs: number;
  /** Retries after the first attempt, on 408/429/5xx and connection errors. */
  maxRetries: number;
  /** First backoff step; doubles per attempt, with jitter. */
  retryBaseDelayMs: number;
  /** Ceiling of one backoff step (not of Retry-After). */
  retryMaxDelayMs: number;
  /** Longest `Retry-After` the client waits for; a longer one fails the request at once. */
  maxRetryAfterMs: number;
  /** The fetch implementation. */
  fetch: typeof globalThis.fetch;
  /** Called before each retry, e.g. to log it. */
  onRetry?: (info: RetryInfo) => void;
  /** Source of jitter in [0, 1). @default Math.random */
  random?: () => number;
}

/** One JSON request. */
export interface JsonRequest {
  method: 'GET' | 'POST';
  /** Absolute URL. */
  url: string;
  /** Sent as JSON. */
  body?: unknown;
  /** The caller's signal; its abort rejects with `CF_ABORTED`. */
  signal?: AbortSignal;
}

/** Statuses worth another attempt: timeouts, rate limits and transient server errors. */
const RETRIABLE_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** Network failures worth another attempt (undici and Node error codes). */
const RETRIABLE_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
]);

/** The longest server message kept in an error. */
const MAX_SERVER_MESSAGE_LENGTH = 500;

/** Parses `Retry-After` (seconds or an HTTP date) into milliseconds; undefined when absent or invalid. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/**
 * Backoff before retry `attempt` (from 0): exponential with "equal jitter" (half fixed,
 * half random), never below the server's `Retry-After`.
 */
export function backoffDelay(
  attempt: number,
  options: Pick<HttpClientOptions, 'retryBaseDelayMs' | 'retryMaxDelayMs'>,
  random: () => number,
  retryAfterMs?: number,
): number {
  const ceiling = Math.min(options.retryMaxDelayMs, options.retryBaseDelayMs * 2 ** attempt);
  const jittered = Math.round(ceiling / 2 + random() * (ceiling / 2));
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** The network error code of a failed fetch (`ECONNRESET`, ...), looking through `cause`. */
export function networkErrorCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && current !== null && typeof current === 'object'; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/** `origin + path` of a URL: no user info, no query (either may hold a credential). */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `${parsed.origin}${parsed.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/** Replaces the API key, and any bearer token, in text that may reach an error or a log. */
export function createRedactor(apiKey: string | undefined): (text: string) => string {
  return (text) => {
    let result = text.replace(/Bearer\s+[^\s"',]+/gi, 'Bearer [redacted]');
    if (apiKey) result = result.split(apiKey).join('[redacted]');
    return result;
  };
}

function serverMessage(text: string): string {
  // OpenAI-style `{ error: { message } }`, llama-server's `{ error: { message, type } }`, or plain text.
  let message = text;
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | string; message?: unknown };
    if (typeof parsed.error === 'string') message = parsed.error;
    else if (typeof parsed.error?.message === 'string') message = parsed.error.message;
    else if (typeof parsed.message === 'string') message = parsed.message;
  } catch {
    // not JSON: keep the text
  }
  message = message.replace(/\s+/g, ' ').trim();
  return message.length > MAX_SERVER_MESSAGE_LENGTH ? `${message.slice(0, MAX_SERVER_MESSAGE_LENGTH)}…` : message;
}

/** A small JSON-over-HTTP client with timeouts, abort, retries and a redacted API key. */
export interface HttpClient {
  /** Sends one request (with retries) and returns the parsed JSON body. */
  requestJson<T>(request: JsonRequest): Promise<T>;
}

/** Creates the client; see {@link HttpClientOptions}. */
export function createHttpClient(options: HttpClientOptions): HttpClient {
  const redact = createRedactor(options.apiKey);
  const random = options.random ?? Math.random;
  const headers: Record<string, string> = { accept: 'application/json', ...options.headers };
  if (options.apiKey) headers.authorization = `Bearer ${options.apiKey}`;

  function abortedError(signal: AbortSignal | undefined, label: string): CopyForgeError {
    const reason = signal?.reason;
    const cause = reason instanceof Error ? new Error(redact(reason.message)) : undefined;
    return new CopyForgeError('CF_ABORTED', `${label} was aborted.`, { cause });
  }

  async function requestJson<T>(request: JsonRequest): Promise<T> {
    const label = `${request.method} ${describeUrl(request.url)}`;
    const body = request.body === undefined ? undefined : JSON.stringify(request.body);
    const requestHeaders = body === undefined ? headers : { ...headers, 'content-type': 'application/json' };
    for (let attempt = 0; ; attempt++) {
      if (request.signal?.aborted) throw abortedError(request.signal, label);
      const timeoutSignal = AbortSignal.timeout(options.timeoutMs);
      const signal = request.signal ? AbortSignal.any([request.signal, timeoutSignal]) : timeoutSignal;
      let status: number;
      let text: string;
      let retryAfter: string | null;
      try {
        const response = await options.fetch(request.url, {
          method: request.method,
          headers: requestHeaders,
          body,
          signal,
        });
        status = response.status;
        retryAfter = response.headers.get('retry-after');
        text = await response.text();
      } catch (error) {
        if (request.signal?.aborted) throw abortedError(request.signal, label);
        if (timeoutSignal.aborted) {
          throw new CopyForgeError('CF_TIMEOUT', `${label} timed out after ${options.timeoutMs} ms.`, {
            details: { url: describeUrl(request.url), timeoutMs: options.timeoutMs, attempts: attempt + 1 },
          });
        }
        const code = networkErrorCode(error);
        if (code !== undefined && RETRIABLE_NETWORK_CODES.has(code) && attempt < options.maxRetries) {
          const delayMs = backoffDelay(attempt, options, random);
          options.onRetry?.({ attempt: attempt + 1, delayMs, reason: code, request: label });
          await sleep(delayMs, request.signal).catch(() => {
            throw abortedError(request.signal, label);
          });
          continue;
        }
        const message = redact(error instanceof Error ? error.message : String(error));
        const cause = Object.assign(new Error(message), code === undefined ? {} : { code });
        throw new CopyForgeError(
          'CF_BACKEND_REQUEST_FAILED',
          `${label} failed: ${message}${code ? ` (${code})` : ''}${attempt > 0 ? ` after ${attempt + 1} attempts` : ''}.`,
          { cause, details: { url: describeUrl(request.url), code, attempts: attempt + 1 } },
        );
      }

      if (status >= 200 && status < 300) {
        try {
          return JSON.parse(text) as T;
        } catch {
          throw new CopyForgeError('CF_BACKEND_REQUEST_FAILED', `${label} returned a body that is not JSON.`, {
            retriable: false,
            details: { url: describeUrl(request.url), status },
          });
        }
      }

      const retriable = RETRIABLE_STATUSES.has(status);
      const retryAfterMs = parseRetryAfter(retryAfter);
      if (retriable && attempt < options.maxRetries && (retryAfterMs ?? 0) <= options.maxRetryAfterMs) {
        const delayMs = backoffDelay(attempt, options, random, retryAfterMs);
        options.onRetry?.({ attempt: attempt + 1, delayMs, reason: `http-${status}`, request: label });
        await sleep(delayMs, request.signal).catch(() => {
          throw abortedError(request.signal, label);
        });
        continue;
      }
      const message = redact(serverMessage(text));
      throw new CopyForgeError(
        'CF_BACKEND_REQUEST_FAILED',
        `${label} failed with HTTP ${status}${message ? `: ${message}` : ''}${attempt > 0 ? ` (after ${attempt + 1} attempts)` : ''}.`,
        {
          retriable,
          details: {
            url: describeUrl(request.url),
            status,
            attempts: attempt + 1,
            ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
          },
        },
      );
    }
  }

  return { requestJson };
}
