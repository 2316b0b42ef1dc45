// The OpenAI-compatible HTTP backend against a real llama-server (built from node-llama-cpp's
// llama.cpp source and started with the default model by llama-server-global-setup.ts): the
// same backend contract as the in-process llama.cpp backend. The retry, timeout and key
// redaction tests use a small local HTTP server that misbehaves on purpose.
import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type OpenAICompatibleBackend,
  openAICompatibleBackend,
  type RetryInfo,
} from '../../src/backends/openai-compatible/openai-compatible-backend.js';
import { CopyForgeError } from '../../src/core/errors.js';
import { createValidator } from '../../src/core/validation.js';
import { buildTitlesSchema, type TitlesOutput } from '../../src/generation/output-schema.js';
import { backendContract } from './backend-contract.js';

describe('openAICompatibleBackend against llama-server', () => {
  let backend: OpenAICompatibleBackend;

  beforeAll(async () => {
    const setupError = process.env.COPYFORGE_LLAMA_SERVER_ERROR;
    if (setupError) throw new Error(`The global setup could not provide llama-server: ${setupError}`);
    const url = process.env.COPYFORGE_LLAMA_SERVER_URL;
    if (!url) throw new Error('COPYFORGE_LLAMA_SERVER_URL is not set; is llama-server-global-setup.ts registered?');
    backend = await openAICompatibleBackend({ baseURL: `${url}/v1`, timeoutMs: 120_000 });
  });

  afterAll(async () => {
    await backend?.dispose();
  });

  it('detects the llama-server dialect and its model', () => {
    expect(backend.dialect).toBe('llama-server');
    expect(backend.model?.name.length).toBeGreaterThan(0);
    expect(backend.model?.contextLength).toBeGreaterThan(0);
  });

  backendContract(() => backend);

  it('constrains output with a GBNF grammar for every seeded candidate', async () => {
    const result = await backend.generate({
      prompt: 'My favourite colour is',
      responseFormat: { type: 'grammar', grammar: 'root ::= " " ("red" | "green" | "blue") "."' },
      sampling: { temperature: 1, seed: 3, maxTokens: 8 },
      candidates: 3,
    });
    expect(result.candidates).toHaveLength(3);
    for (const candidate of result.candidates) expect(candidate.text).toMatch(/^ (red|green|blue)\.$/);
    expect(result.usage.outputTokens).toBeGreaterThan(0);
  });

  it('meets the forge titles schema through the compact JSON grammar', async () => {
    const schema = buildTitlesSchema({
      count: 4,
      styleIds: ['question', 'benefit'],
      minTitleLength: 4,
      maxTitleLength: 30,
      promotionTarget: '防晒霜',
      audienceTiers: ['students', 'parents'],
    });
    const validate = createValidator<TitlesOutput>(schema, 'CF_INVALID_OUTPUT', 'titles');
    const result = await backend.generate({
      prompt: 'Note: A light sunscreen for the summer commute.\nJSON: ',
      responseFormat: { type: 'json-schema', schema },
      sampling: { temperature: 0.8, seed: 5, maxTokens: 300 },
    });
    const candidate = result.candidates[0];
    expect(candidate?.finishReason).toBe('stop');
    const parsed = validate(JSON.parse(candidate?.text ?? ''));
    expect(parsed.promotionTarget).toBe('防晒霜');
    expect(parsed.titles).toHaveLength(4);
  });

  it('serves requests again after an abort', async () => {
    const controller = new AbortController();
    const pending = backend.generate({
      prompt: 'Tell a long story:',
      sampling: { maxTokens: 2000 },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 200);
    await expect(pending).rejects.toMatchObject({ code: 'CF_ABORTED' });
    const after = await backend.generate({ prompt: 'One, two,', sampling: { maxTokens: 4, temperature: 0 } });
    expect(after.candidates[0]?.text.length).toBeGreaterThan(0);
  });
});

/** What the misbehaving server does with the next request. */
type Behaviour = (request: IncomingMessage, response: ServerResponse) => void;

const okChat: Behaviour = (_request, response) => {
  response.writeHead(200, { 'content-type': 'application/json' });
  response.end(
    JSON.stringify({
      choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 3, completion_tokens: 1 },
    }),
  );
};

const status =
  (code: number, headers: Record<string, string> = {}): Behaviour =>
  (_request, response) => {
    response.writeHead(code, { 'content-type': 'application/json', ...headers });
    response.end(JSON.stringify({ error: { message: `status ${code}` } }));
  };

describe('openAICompatibleBackend failure modes (misbehaving local server)', () => {
  const apiKey = 'sk-integration-9c1f0e7d2b4a6c8e';
  let server: Server;
  let baseURL: string;
  let queue: Behaviour[];
  let seen: { authorization?: string }[];
  let retries: RetryInfo[];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push({ authorization: request.headers.authorization });
      request.resume();
      request.on('end', () => (queue.shift() ?? okChat)(request, response));
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    server.close();
  });

  beforeEach(() => {
    queue = [];
    seen = [];
    retries = [];
  });

  const create = (overrides: Partial<Parameters<typeof openAICompatibleBackend>[0]> = {}) =>
    openAICompatibleBackend({
      baseURL,
      apiKey,
      model: 'test-model',
      dialect: 'openai',
      retryBaseDelayMs: 20,
      retryMaxDelayMs: 100,
      onRetry: (info) => retries.push(info),
      ...overrides,
    });

  const ask = (backend: OpenAICompatibleBackend, signal?: AbortSignal) =>
    backend.generate({ messages: [{ role: 'user', content: 'hello' }], signal });

  it('retries 503 and 429 with backoff, then succeeds', async () => {
    queue = [status(503), status(429)];
    const backend = await create();
    const result = await ask(backend);
    expect(result.candidates[0]?.text).toBe('fine');
    expect(seen).toHaveLength(3);
    expect(retries.map((retry) => retry.reason)).toEqual(['http-503', 'http-429']);
    // Equal jitter: attempt 0 waits 10-20 ms, attempt 1 waits 20-40 ms.
    expect(retries[0]?.delayMs).toBeGreaterThanOrEqual(10);
    expect(retries[1]?.delayMs).toBeGreaterThanOrEqual(20);
  });

  it('honours Retry-After', async () => {
    queue = [status(429, { 'retry-after': '1' })];
    const backend = await create();
    const started = Date.now();
    await ask(backend);
    expect(retries[0]?.delayMs).toBe(1000);
    expect(Date.now() - started).toBeGreaterThanOrEqual(990);
  });

  it('retries a connection reset', async () => {
    queue = [(request) => request.socket.resetAndDestroy(), (request) => request.socket.destroy()];
    const backend = await create();
    const result = await ask(backend);
    expect(result.candidates[0]?.text).toBe('fine');
    expect(retries).toHaveLength(2);
    expect(retries[0]?.reason).toBe('ECONNRESET');
  });

  it('gives up after maxRetries with a retriable CF_BACKEND_REQUEST_FAILED', async () => {
    queue = [status(500), status(500), status(500)];
    const backend = await create({ maxRetries: 2 });
    const error = await ask(backend).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(CopyForgeError);
    expect(error).toMatchObject({ code: 'CF_BACKEND_REQUEST_FAILED', retriable: true, details: { status: 500 } });
    expect(seen).toHaveLength(3);
  });

  it('times out a hanging request with CF_TIMEOUT', async () => {
    queue = [() => undefined];
    const backend = await create({ timeoutMs: 300 });
    await expect(ask(backend)).rejects.toMatchObject({ code: 'CF_TIMEOUT' });
    expect(seen).toHaveLength(1);
  });

  it("rejects with CF_ABORTED when the caller's signal fires during a request", async () => {
    queue = [() => undefined];
    const backend = await create();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(ask(backend, controller.signal)).rejects.toMatchObject({ code: 'CF_ABORTED' });
  });

  it('rejects with CF_ABORTED when aborted during a backoff wait', async () => {
    queue = [status(503, { 'retry-after': '30' })];
    const backend = await create();
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await expect(ask(backend, controller.signal)).rejects.toMatchObject({ code: 'CF_ABORTED' });
  });

  it('sends the key but never puts it in an error, even when the server echoes it', async () => {
    queue = [
      (request, response) => {
        response.writeHead(401, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ error: { message: `Bad token: ${request.headers.authorization}` } }));
      },
    ];
    const backend = await create();
    const error = (await ask(backend).catch((caught: unknown) => caught)) as CopyForgeError;
    expect(seen[0]?.authorization).toBe(`Bearer ${apiKey}`);
    expect(error.code).toBe('CF_BACKEND_REQUEST_FAILED');
    expect(error.message).toContain('HTTP 401');
    for (const view of [error.message, JSON.stringify(error), String(error.cause), inspect(error, { depth: 10 })]) {
      expect(view).not.toContain(apiKey);
    }
  });

  it('detects a server without /props as the openai dialect', async () => {
    queue = [status(404)];
    const backend = await create({ dialect: 'auto' });
    expect(backend.dialect).toBe('openai');
  });
});
