import { inspect } from 'node:util';
import { describe, expect, it } from 'vitest';
import { openAICompatibleBackend } from './openai-compatible-backend.js';

type Handler = (body: Record<string, unknown> | undefined) => { status?: number; body: unknown };

/** A fetch routed by method and path; records every request body. */
function routedFetch(routes: Record<string, Handler>) {
  const requests: { route: string; body: Record<string, unknown> | undefined }[] = [];
  const fetch = (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(String(input));
    const route = `${init.method ?? 'GET'} ${url.pathname}`;
    const body = typeof init.body === 'string' ? (JSON.parse(init.body) as Record<string, unknown>) : undefined;
    requests.push({ route, body });
    const handler = routes[route];
    if (!handler) return new Response('{"error":{"message":"File Not Found"}}', { status: 404 });
    const answer = handler(body);
    return new Response(JSON.stringify(answer.body), { status: answer.status ?? 200 });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

const chatAnswer =
  (text: string): Handler =>
  () => ({
    body: {
      choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
      usage: { prompt_tokens: 10, completion_tokens: 3 },
    },
  });

const props = { default_generation_settings: { n_ctx: 2048 }, model_alias: 'gemma-3-270m', build_info: 'b1' };

describe('openAICompatibleBackend', () => {
  it('detects a plain OpenAI server, needs a model name there and offers no scoreText or tokenize', async () => {
    const { fetch } = routedFetch({ 'POST /v1/chat/completions': chatAnswer('hi') });
    await expect(openAICompatibleBackend({ baseURL: 'http://h/v1', fetch })).rejects.toMatchObject({
      code: 'CF_INVALID_CONFIG',
    });
    const backend = await openAICompatibleBackend({ baseURL: 'http://h/v1/', model: 'm', fetch });
    expect(backend.dialect).toBe('openai');
    expect(backend.id).toBe('openai:m');
    expect(backend.scoreText).toBeUndefined();
    expect(backend.tokenize).toBeUndefined();
  });

  it('detects llama-server through /props and takes the model name and context from it', async () => {
    const { fetch } = routedFetch({ 'GET /props': () => ({ body: props }) });
    const backend = await openAICompatibleBackend({ baseURL: 'http://h/v1', fetch });
    expect(backend.dialect).toBe('llama-server');
    expect(backend.model).toEqual({ name: 'gemma-3-270m', contextLength: 2048 });
    expect(typeof backend.scoreText).toBe('function');
    expect(typeof backend.tokenize).toBe('function');
  });

  it('shows the file name of a path alias and sends no model name llama-server did not get', async () => {
    const { fetch, requests } = routedFetch({
      'GET /props': () => ({ body: { ...props, model_alias: '/home/me/models/gemma.gguf' } }),
      'POST /v1/chat/completions': chatAnswer('hi'),
    });
    const backend = await openAICompatibleBackend({ baseURL: 'http://h/v1', fetch });
    expect(backend.id).toBe('llama-server:gemma.gguf');
    await backend.generate({ messages: [{ role: 'user', content: 'x' }] });
    expect(requests.at(-1)?.body).not.toHaveProperty('model');
  });

  it('rejects a bad baseURL with CF_INVALID_CONFIG', async () => {
    await expect(openAICompatibleBackend({ baseURL: 'ftp://h', dialect: 'openai', model: 'm' })).rejects.toMatchObject({
      code: 'CF_INVALID_CONFIG',
    });
  });

  it('sends one request per candidate with seed + index and sums usage', async () => {
    const { fetch, requests } = routedFetch({ 'POST /v1/chat/completions': chatAnswer('{"a":"b"}') });
    const backend = await openAICompatibleBackend({ baseURL: 'http://h/v1', dialect: 'openai', model: 'm', fetch });
    const result = await backend.generate({
      messages: [{ role: 'user', content: 'x' }],
      candidates: 3,
      sampling: { seed: 5, topK: 3 },
    });
    expect(result.candidates).toEqual(Array(3).fill({ text: '{"a":"b"}', finishReason: 'stop', outputTokens: 3 }));
    expect(result.usage).toEqual({ inputTokens: 30, outputTokens: 9 });
    expect(requests.map((request) => request.body?.seed).sort()).toEqual([5, 6, 7]);
    expect(result.warnings).toHaveLength(1);
  });

  it("uses 'n' when asked and fills choices the server did not return", async () => {
    const { fetch, requests } = routedFetch({
      'POST /v1/completions': (body) => ({
        body: {
          choices: [
            { index: 0, text: 'aa', finish_reason: 'length' },
            ...(body?.n ? [{ index: 1, text: 'bb', finish_reason: 'stop' }] : []),
          ],
          usage: { prompt_tokens: 4, completion_tokens: body?.n ? 8 : 2 },
        },
      }),
    });
    const backend = await openAICompatibleBackend({
      baseURL: 'http://h/v1',
      dialect: 'openai',
      model: 'm',
      candidateRequests: 'n',
      fetch,
    });
    const result = await backend.generate({ prompt: 'p', candidates: 3 });
    expect(requests[0]?.body?.n).toBe(3);
    expect(result.candidates.map((candidate) => candidate.text)).toEqual(['aa', 'bb', 'aa']);
    expect(result.candidates[0]?.finishReason).toBe('length');
    expect(result.usage).toEqual({ inputTokens: 8, outputTokens: 10 });
    expect(result.warnings.map((warning) => warning.type)).toEqual(['other', 'other']);
  });

  it('embeds in batches and orders vectors by index', async () => {
    const { fetch, requests } = routedFetch({
      'POST /v1/embeddings': (body) => {
        const input = body?.input as string[];
        const data = input.map((text, index) => ({ index, embedding: [text.length, index] })).reverse();
        return { body: { data } };
      },
    });
    const backend = await openAICompatibleBackend({
      baseURL: 'http://h/v1',
      dialect: 'openai',
      model: 'm',
      embeddingModel: 'e',
      embeddingBatchSize: 2,
      fetch,
    });
    const result = await backend.embed({ texts: ['a', 'bb', 'ccc'] });
    expect(result.embeddings).toEqual([
      [1, 0],
      [2, 1],
      [3, 0],
    ]);
    expect(result.space).toBe('openai:e');
    expect(requests.map((request) => request.body?.model)).toEqual(['e', 'e']);
  });

  it('scores continuations from forced-token log probabilities', async () => {
    const { fetch, requests } = routedFetch({
      'POST /tokenize': (body) => ({ body: { tokens: body?.content === ' ok' ? [11, 12] : [] } }),
      'POST /completion': () => ({
        body: {
          completion_probabilities: [
            { id: 11, logprob: -1 },
            { id: 12, logprob: -3 },
          ],
        },
      }),
    });
    const backend = await openAICompatibleBackend({
      baseURL: 'http://h/v1',
      dialect: 'llama-server',
      model: 'g',
      fetch,
    });
    const result = await backend.scoreText?.({ prompt: 'Say:', continuations: [' ok', ''] });
    expect(result?.scores).toEqual([
      { logLikelihood: -4, tokenCount: 2, meanLogLikelihood: -2 },
      { logLikelihood: 0, tokenCount: 0, meanLogLikelihood: 0 },
    ]);
    const completion = requests.find((request) => request.route === 'POST /completion')?.body;
    expect(completion).toMatchObject({
      prompt: 'Say:',
      n_predict: 2,
      grammar: 'root ::= <[11]> <[12]>',
      n_probs: 1,
      post_sampling_probs: false,
    });
  });

  it('fails scoring when the server did not follow the forced tokens', async () => {
    const { fetch } = routedFetch({
      'POST /tokenize': () => ({ body: { tokens: [11, 12] } }),
      'POST /completion': () => ({ body: { completion_probabilities: [{ id: 99, logprob: -1 }] } }),
    });
    const backend = await openAICompatibleBackend({ baseURL: 'http://h', dialect: 'llama-server', model: 'g', fetch });
    await expect(backend.scoreText?.({ prompt: 'p', continuations: ['x'] })).rejects.toMatchObject({
      code: 'CF_BACKEND_REQUEST_FAILED',
    });
  });

  it('does not expose the API key on the backend object', async () => {
    const apiKey = 'sk-secret-0123456789abcdef';
    const backend = await openAICompatibleBackend({
      baseURL: 'http://h/v1',
      dialect: 'openai',
      model: 'm',
      apiKey,
      fetch: routedFetch({}).fetch,
    });
    expect(inspect(backend, { depth: 5 })).not.toContain(apiKey);
    expect(JSON.stringify(backend)).not.toContain(apiKey);
  });
});
