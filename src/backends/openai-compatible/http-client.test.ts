import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { CopyForgeError } from '../../core/errors.js';
import {
  backoffDelay,
  createHttpClient,
  createRedactor,
  describeUrl,
  type HttpClientOptions,
  networkErrorCode,
  parseRetryAfter,
  type RetryInfo,
} from './http-client.js';

const apiKey = 'sk-test-5f2c9a7e1b3d4c6e8f0a';

type Step = (url: string, init: RequestInit) => Promise<Response>;

/** A fetch that plays the given steps in order and records what it was sent. */
function scriptedFetch(steps: Step[]) {
  const calls: { url: string; init: RequestInit }[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = String(input);
    calls.push({ url, init });
    const step = steps[calls.length - 1];
    if (!step) throw new Error(`unexpected call ${calls.length}`);
    return step(url, init);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Step =>
  async () =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

const networkError =
  (code: string): Step =>
  async () => {
    throw Object.assign(new TypeError('fetch failed'), { cause: Object.assign(new Error(`read ${code}`), { code }) });
  };

function client(fetch: typeof globalThis.fetch, overrides: Partial<HttpClientOptions> = {}) {
  const retries: RetryInfo[] = [];
  const http = createHttpClient({
    apiKey,
    timeoutMs: 10_000,
    maxRetries: 2,
    retryBaseDelayMs: 0,
    retryMaxDelayMs: 0,
    maxRetryAfterMs: 60_000,
    fetch,
    onRetry: (info) => retries.push(info),
    ...overrides,
  });
  return { http, retries };
}

async function failure(promise: Promise<unknown>): Promise<CopyForgeError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof CopyForgeError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

function expectNoKey(error: CopyForgeError): void {
  const views = [
    error.message,
    JSON.stringify(error),
    JSON.stringify(error.details),
    String(error.cause),
    inspect(error, { depth: 10 }),
  ];
  for (const view of views) expect(view).not.toContain(apiKey);
}

describe('parseRetryAfter', () => {
  it('reads seconds and HTTP dates and ignores junk', () => {
    expect(parseRetryAfter('3')).toBe(3000);
    expect(parseRetryAfter('0.25')).toBe(250);
    const now = Date.parse('2025-01-01T00:00:00Z');
    expect(parseRetryAfter('Wed, 01 Jan 2025 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon')).toBeUndefined();
    expect(parseRetryAfter(null)).toBeUndefined();
  });
});

describe('backoffDelay', () => {
  const settings = { retryBaseDelayMs: 100, retryMaxDelayMs: 1000 };

  it('doubles per attempt up to the ceiling, with jitter in the upper half', () => {
    expect(backoffDelay(0, settings, () => 0)).toBe(50);
    expect(backoffDelay(0, settings, () => 0.999)).toBe(100);
    expect(backoffDelay(2, settings, () => 0)).toBe(200);
    expect(backoffDelay(10, settings, () => 0.999)).toBe(1000);
  });

  it('never waits less than Retry-After', () => {
    expect(backoffDelay(0, settings, () => 0, 5000)).toBe(5000);
  });
});

describe('redaction helpers', () => {
  it('removes the key and any bearer token', () => {
    const redact = createRedactor(apiKey);
    expect(redact(`bad key ${apiKey}; header Bearer abc.def`)).toBe('bad key [redacted]; header Bearer [redacted]');
  });

  it('drops user info and the query from URLs', () => {
    expect(describeUrl('https://user:secret@example.com/v1/chat?key=abc')).toBe('https://example.com/v1/chat');
  });

  it('finds network codes through the cause chain', () => {
    expect(networkErrorCode(new TypeError('fetch failed', { cause: { code: 'ECONNRESET' } }))).toBe('ECONNRESET');
    expect(networkErrorCode(new Error('plain'))).toBeUndefined();
  });
});

describe('createHttpClient', () => {
  it('sends the key as a bearer header and JSON bodies', async () => {
    const { fetch, calls } = scriptedFetch([json(200, { ok: true })]);
    const { http } = client(fetch);
    await expect(http.requestJson({ method: 'POST', url: 'http://x/v1/a', body: { a: 1 } })).resolves.toEqual({
      ok: true,
    });
    const headers = calls[0]?.init.headers as Record<string, string>;
    expect(headers.authorization).toBe(`Bearer ${apiKey}`);
    expect(headers['content-type']).toBe('application/json');
    expect(calls[0]?.init.body).toBe('{"a":1}');
  });

  it('retries 503 and 429, then succeeds', async () => {
    const { fetch, calls } = scriptedFetch([json(503, { error: 'loading' }), json(429, {}), json(200, { done: 1 })]);
    const { http, retries } = client(fetch);
    await expect(http.requestJson({ method: 'GET', url: 'http://x/v1/a' })).resolves.toEqual({ done: 1 });
    expect(calls).toHaveLength(3);
    expect(retries.map((retry) => retry.reason)).toEqual(['http-503', 'http-429']);
    expect(retries[0]?.request).toBe('GET http://x/v1/a');
  });

  it('waits at least Retry-After', async () => {
    const { fetch } = scriptedFetch([json(429, {}, { 'retry-after': '0.02' }), json(200, {})]);
    const { http, retries } = client(fetch);
    await http.requestJson({ method: 'GET', url: 'http://x/v1/a' });
    expect(retries[0]?.delayMs).toBe(20);
  });

  it('gives up at once when Retry-After is longer than allowed', async () => {
    const { fetch, calls } = scriptedFetch([json(429, { error: { message: 'slow down' } }, { 'retry-after': '600' })]);
    const { http } = client(fetch);
    const error = await failure(http.requestJson({ method: 'GET', url: 'http://x/v1/a' }));
    expect(calls).toHaveLength(1);
    expect(error.code).toBe('CF_BACKEND_REQUEST_FAILED');
    expect(error.retriable).toBe(true);
    expect(error.details).toMatchObject({ status: 429, retryAfterMs: 600_000 });
    expect(error.message).toContain('slow down');
  });

  it('retries connection resets and reports the code when they persist', async () => {
    const { fetch, calls } = scriptedFetch([
      networkError('ECONNRESET'),
      networkError('ECONNRESET'),
      networkError('ECONNRESET'),
    ]);
    const { http, retries } = client(fetch);
    const error = await failure(http.requestJson({ method: 'GET', url: 'http://x/v1/a' }));
    expect(calls).toHaveLength(3);
    expect(retries.map((retry) => retry.reason)).toEqual(['ECONNRESET', 'ECONNRESET']);
    expect(error.code).toBe('CF_BACKEND_REQUEST_FAILED');
    expect(error.details).toMatchObject({ code: 'ECONNRESET', attempts: 3 });
  });

  it('does not retry a 400 and keeps the key out of the error even when the server echoes it', async () => {
    const { fetch, calls } = scriptedFetch([
      json(400, { error: { message: `Incorrect API key provided: ${apiKey}` } }),
    ]);
    const { http } = client(fetch);
    const error = await failure(http.requestJson({ method: 'POST', url: 'http://x/v1/a', body: {} }));
    expect(calls).toHaveLength(1);
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('HTTP 400');
    expect(error.message).toContain('Incorrect API key provided: [redacted]');
    expectNoKey(error);
  });

  it('keeps the key out of network errors', async () => {
    const { fetch } = scriptedFetch([
      async () => {
        throw new TypeError(`connect failed for Bearer ${apiKey}`);
      },
    ]);
    const { http } = client(fetch, { maxRetries: 0 });
    const error = await failure(http.requestJson({ method: 'GET', url: 'http://x/v1/a' }));
    expectNoKey(error);
  });

  it('maps a caller abort to CF_ABORTED', async () => {
    const controller = new AbortController();
    const { fetch } = scriptedFetch([
      (_url, init) =>
        new Promise((_resolve, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
          controller.abort();
        }),
    ]);
    const { http } = client(fetch);
    const error = await failure(http.requestJson({ method: 'GET', url: 'http://x/v1/a', signal: controller.signal }));
    expect(error.code).toBe('CF_ABORTED');
  });

  it('maps its own time limit to CF_TIMEOUT without retrying', async () => {
    const hang: Step = (_url, init) =>
      new Promise((_resolve, reject) => init.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    const { fetch, calls } = scriptedFetch([hang, hang]);
    const { http } = client(fetch, { timeoutMs: 5 });
    const error = await failure(http.requestJson({ method: 'GET', url: 'http://x/v1/a' }));
    expect(error.code).toBe('CF_TIMEOUT');
    expect(error.retriable).toBe(true);
    expect(calls).toHaveLength(1);
  });

  it('rejects a body that is not JSON', async () => {
    const { fetch } = scriptedFetch([async () => new Response('<html>', { status: 200 })]);
    const { http } = client(fetch);
    const error = await failure(http.requestJson({ method: 'GET', url: 'http://x/v1/a' }));
    expect(error.code).toBe('CF_BACKEND_REQUEST_FAILED');
    expect(error.message).toContain('not JSON');
  });
});
