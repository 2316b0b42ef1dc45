import type { ValidationIssue } from '../../core/errors.js';
import { CopyForgeError, isCopyForgeError, throwIfAborted } from '../../core/errors.js';
import type {
  ContinuationScoreV1,
  EmbedRequestV1,
  EmbedResultV1,
  FinishReasonV1,
  GeneratedCandidateV1,
  GenerateRequestV1,
  GenerateResultV1,
  ModelBackendV1,
  ModelDescriptionV1,
  ScoreTextRequestV1,
  ScoreTextResultV1,
} from '../../spec/model-backend-v1.js';
import type { WarningV1 } from '../../spec/shared-v1.js';
import { createHttpClient, type HttpClient, type RetryInfo } from './http-client.js';
import {
  type BodyOptions,
  exactTokenGrammar,
  generateBody,
  type OpenAICompatibleDialect,
  renderScoringPrompt,
} from './request-body.js';

export type { RetryInfo } from './http-client.js';
export type { OpenAICompatibleDialect } from './request-body.js';

/** Options for {@link openAICompatibleBackend}. */
export interface OpenAICompatibleBackendOptions {
  /**
   * The API root, with its version segment, as OpenAI clients take it. llama-server's own
   * endpoints (`/props`, `/tokenize`, `/completion`) are found by dropping a trailing `/v1`.
   * @example 'http://127.0.0.1:8080/v1' (llama-server), 'http://127.0.0.1:8000/v1' (vLLM),
   * 'http://127.0.0.1:11434/v1' (Ollama), 'https://api.openai.com/v1'
   */
  baseURL: string;
  /** Sent as `Authorization: Bearer …`. Never logged, never put in errors. @default undefined (no header) */
  apiKey?: string;
  /**
   * Model name sent with each request. Required for the `openai` dialect; llama-server
   * serves one model and its name is read from `/props` when this is left out.
   * @example 'qwen2.5:0.5b'
   */
  model?: string;
  /** Model for `embed`. @default model */
  embeddingModel?: string;
  /**
   * `llama-server` unlocks grammars, `top_k`/`min_p`/`repeat_penalty`, `tokenize` and
   * `scoreText`; `openai` sends only OpenAI API fields. `auto` asks `GET /props` once at
   * creation (llama-server answers it, others do not). @default 'auto'
   */
  dialect?: 'auto' | OpenAICompatibleDialect;
  /** Time limit of one HTTP attempt, in milliseconds. @default 120000 */
  timeoutMs?: number;
  /** Retries after the first attempt, on 408/429/5xx and connection resets. @default 2 */
  maxRetries?: number;
  /** First backoff step in milliseconds; doubles per retry, with jitter. @default 500 */
  retryBaseDelayMs?: number;
  /** Ceiling of one backoff step in milliseconds. @default 8000 */
  retryMaxDelayMs?: number;
  /** Longest `Retry-After` honoured, in milliseconds; a longer one fails at once. @default 60000 */
  maxRetryAfterMs?: number;
  /**
   * How `candidates > 1` is requested: `separate` sends one request per candidate (seed + index,
   * exact token counts, works on every server); `n` sends OpenAI's `n` once (the prompt is billed
   * once; llama-server caps `n` at its `--parallel` slots; missing choices are filled with
   * separate requests). @default 'separate'
   */
  candidateRequests?: 'separate' | 'n';
  /** Requests in flight at once per call (candidates, scored continuations). @default 4 */
  concurrency?: number;
  /** Texts per `/embeddings` request. @default 32 */
  embeddingBatchSize?: number;
  /** `strict` flag of OpenAI structured outputs. @default true */
  strictJsonSchema?: boolean;
  /**
   * llama-server only: how JSON schemas are enforced. `compact` sends CopyForge's own GBNF
   * (one optional space between JSON tokens) when the schema is in the OpenAI strict subset
   * (all properties required, no `pattern`/`$ref`/numeric ranges), else `json_schema`;
   * `server` always sends `json_schema`, whose grammar lets small models ramble in whitespace.
   * @default 'compact'
   */
  jsonGrammar?: 'compact' | 'server';
  /** Merged into every generate body last, for server-specific fields. @example { top_k: 40 } */
  extraBody?: Record<string, unknown>;
  /** Extra headers, e.g. an organisation id. Do not put the API key here; use `apiKey`. */
  headers?: Record<string, string>;
  /** Backend id in provenance. @default `<dialect>:<model>` */
  id?: string;
  /** Called before each retry (no secrets in it), e.g. to log rate limiting. */
  onRetry?: (info: RetryInfo) => void;
  /** The fetch implementation. @default globalThis.fetch */
  fetch?: typeof globalThis.fetch;
}

/** The HTTP backend; `scoreText` and `tokenize` exist only for the `llama-server` dialect. */
export interface OpenAICompatibleBackend extends ModelBackendV1 {
  generate(request: GenerateRequestV1): Promise<GenerateResultV1>;
  embed(request: EmbedRequestV1): Promise<EmbedResultV1>;
  dispose(): Promise<void>;
  /** The dialect in use, after `auto` detection. */
  readonly dialect: OpenAICompatibleDialect;
  /** The API root requests go to. */
  readonly baseURL: string;
}

interface ChatCompletionResponse {
  choices?: {
    index?: number;
    message?: { content?: string | null };
    text?: string;
    finish_reason?: string | null;
  }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number };
}

interface EmbeddingResponse {
  data?: { index?: number; embedding?: number[] }[];
}

interface LlamaServerProps {
  default_generation_settings?: { n_ctx?: number };
  model_alias?: string;
  model_path?: string;
  build_info?: string;
}

interface LlamaServerCompletion {
  completion_probabilities?: { id?: number; logprob?: number }[];
  tokens_predicted?: number;
}

/** Floor of a token probability, as in the llama.cpp backend. */
const MIN_LOG_PROBABILITY = Math.log(1e-9);

function invalidOption(path: string, message: string): CopyForgeError {
  const issue: ValidationIssue = { path: `/${path}`, rule: 'type', message: `'/${path}' ${message}` };
  return new CopyForgeError('CF_INVALID_CONFIG', `'${path}' ${message}.`, { issues: [issue] });
}

function positiveInteger(name: string, value: number | undefined, fallback: number, allowZero = false): number {
  const result = value ?? fallback;
  if (!Number.isInteger(result) || result < (allowZero ? 0 : 1)) {
    throw invalidOption(name, `must be ${allowZero ? 'a non-negative' : 'a positive'} integer, got ${result}`);
  }
  return result;
}

function parseBaseURL(value: string): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw invalidOption('baseURL', 'must be an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw invalidOption('baseURL', 'must be an absolute http(s) URL');
  }
  url.pathname = url.pathname.replace(/\/+$/, '');
  return url;
}

function finishReason(reason: string | null | undefined): FinishReasonV1 {
  if (reason === 'length') return 'length';
  if (reason === 'stop' || reason === 'eos' || reason === 'tool_calls' || reason === 'function_call') return 'stop';
  if (reason === null || reason === undefined) return 'stop';
  return 'error';
}

/** Runs `work` over `items` with at most `limit` in flight, keeping order; the first failure wins. */
async function mapLimited<Item, Output>(
  items: readonly Item[],
  limit: number,
  work: (item: Item, index: number) => Promise<Output>,
): Promise<Output[]> {
  const results = new Array<Output>(items.length);
  let next = 0;
  let failed = false;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length && !failed) {
      const index = next++;
      try {
        results[index] = await work(items[index] as Item, index);
      } catch (error) {
        // Start nothing new once one item failed; the whole call rejects anyway.
        failed = true;
        throw error;
      }
    }
  });
  await Promise.all(workers);
  return results;
}

/**
 * Creates a backend for any server speaking the OpenAI HTTP API: llama.cpp's llama-server,
 * vLLM, Ollama or a hosted API. Uses the global `fetch` (no SDK). With `dialect: 'auto'` it
 * asks the server once whether it is llama-server.
 *
 * @example
 * const backend = await openAICompatibleBackend({ baseURL: 'http://127.0.0.1:8080/v1' });
 * const { candidates } = await backend.generate({ prompt: 'Hello', sampling: { maxTokens: 16 } });
 */
export async function openAICompatibleBackend(
  options: OpenAICompatibleBackendOptions,
): Promise<OpenAICompatibleBackend> {
  if (typeof options?.baseURL !== 'string') throw invalidOption('baseURL', 'is required');
  const apiRoot = parseBaseURL(options.baseURL);
  const baseURL = apiRoot.toString().replace(/\/+$/, '');
  // llama-server's native endpoints live at the server root, next to /v1.
  const nativeRoot = baseURL.replace(/\/v1$/, '');
  const concurrency = positiveInteger('concurrency', options.concurrency, 4);
  const embeddingBatchSize = positiveInteger('embeddingBatchSize', options.embeddingBatchSize, 32);
  const fetchImplementation = options.fetch ?? globalThis.fetch;
  if (typeof fetchImplementation !== 'function') {
    throw new CopyForgeError('CF_DEPENDENCY_MISSING', 'No global fetch: Node.js 20 or newer is required.');
  }
  const client: HttpClient = createHttpClient({
    apiKey: options.apiKey,
    headers: options.headers,
    timeoutMs: positiveInteger('timeoutMs', options.timeoutMs, 120_000),
    maxRetries: positiveInteger('maxRetries', options.maxRetries, 2, true),
    retryBaseDelayMs: positiveInteger('retryBaseDelayMs', options.retryBaseDelayMs, 500, true),
    retryMaxDelayMs: positiveInteger('retryMaxDelayMs', options.retryMaxDelayMs, 8000, true),
    maxRetryAfterMs: positiveInteger('maxRetryAfterMs', options.maxRetryAfterMs, 60_000, true),
    fetch: fetchImplementation,
    onRetry: options.onRetry,
  });

  let props: LlamaServerProps | undefined;
  let dialect: OpenAICompatibleDialect;
  if (options.dialect === 'openai' || options.dialect === 'llama-server') {
    dialect = options.dialect;
    if (dialect === 'llama-server' && options.model === undefined) props = await readProps(client, nativeRoot);
  } else if (options.dialect === undefined || options.dialect === 'auto') {
    props = await detectLlamaServer(client, nativeRoot);
    dialect = props ? 'llama-server' : 'openai';
  } else {
    throw invalidOption('dialect', "must be 'auto', 'openai' or 'llama-server'");
  }
  if (options.model === undefined && dialect === 'openai') {
    throw invalidOption('model', "is required unless the server is llama-server (dialect 'openai' detected)");
  }
  // llama-server serves one model and ignores `model`, so only a name the caller gave is sent.
  // Its alias defaults to the model's full path: show only the file name.
  const model = options.model ?? props?.model_alias?.split(/[\\/]/).at(-1);
  const embeddingModel = options.embeddingModel ?? options.model;
  const bodyOptions: BodyOptions = {
    dialect,
    model: options.model,
    strictJsonSchema: options.strictJsonSchema ?? true,
    jsonGrammar: options.jsonGrammar ?? 'compact',
    extraBody: options.extraBody,
  };
  const candidateRequests = options.candidateRequests ?? 'separate';
  let disposed = false;

  function ensureOpen(): void {
    if (disposed) throw new CopyForgeError('CF_BACKEND_REQUEST_FAILED', 'The backend is disposed.');
  }

  async function complete(request: GenerateRequestV1, body: Record<string, unknown>) {
    const path = request.prompt !== undefined ? '/completions' : '/chat/completions';
    const response = await client.requestJson<ChatCompletionResponse>({
      method: 'POST',
      url: `${baseURL}${path}`,
      body,
      signal: request.signal,
    });
    const choices = [...(response.choices ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
    if (choices.length === 0) {
      throw new CopyForgeError('CF_BACKEND_REQUEST_FAILED', `POST ${path} returned no choices.`, { retriable: true });
    }
    return {
      choices: choices.map((choice) => ({
        text: (request.prompt !== undefined ? choice.text : choice.message?.content) ?? '',
        finishReason: finishReason(choice.finish_reason),
      })),
      inputTokens: response.usage?.prompt_tokens ?? 0,
      outputTokens: response.usage?.completion_tokens ?? 0,
    };
  }

  async function separateCandidates(
    request: GenerateRequestV1,
    indexes: readonly number[],
    warnings: WarningV1[] | undefined,
  ): Promise<{ candidates: GeneratedCandidateV1[]; inputTokens: number }> {
    let inputTokens = 0;
    const candidates = await mapLimited(indexes, concurrency, async (candidateIndex, position) => {
      const body = generateBody(request, bodyOptions, candidateIndex, position === 0 ? warnings : undefined);
      const result = await complete(request, body);
      inputTokens += result.inputTokens;
      const first = result.choices[0] as { text: string; finishReason: FinishReasonV1 };
      return { text: first.text, finishReason: first.finishReason, outputTokens: result.outputTokens };
    });
    return { candidates, inputTokens };
  }

  async function generate(request: GenerateRequestV1): Promise<GenerateResultV1> {
    ensureOpen();
    throwIfAborted(request.signal);
    if (request.prompt === undefined && !request.messages?.length) {
      throw new CopyForgeError('CF_INVALID_CONFIG', "A generate request needs 'prompt' or 'messages'.");
    }
    const count = request.candidates ?? 1;
    if (!Number.isInteger(count) || count < 1) throw invalidOption('candidates', 'must be a positive integer');
    const warnings: WarningV1[] = [];
    if (count === 1 || candidateRequests === 'separate') {
      const indexes = Array.from({ length: count }, (_, index) => index);
      const { candidates, inputTokens } = await separateCandidates(request, indexes, warnings);
      const outputTokens = candidates.reduce((sum, candidate) => sum + candidate.outputTokens, 0);
      return { candidates, usage: { inputTokens, outputTokens }, warnings };
    }

    const body = { ...generateBody(request, bodyOptions, 0, warnings), n: count };
    const result = await complete(request, body);
    const choices = result.choices.slice(0, count);
    // One usage figure covers all choices: share it out by text length.
    const totalLength = choices.reduce((sum, choice) => sum + choice.text.length, 0) || 1;
    const candidates: GeneratedCandidateV1[] = choices.map((choice) => ({
      ...choice,
      outputTokens: Math.round((result.outputTokens * choice.text.length) / totalLength),
    }));
    if (choices.length > 1) {
      warnings.push({
        type: 'other',
        message: 'Per-candidate outputTokens are estimated: the server reports one token count for all choices.',
      });
    }
    let inputTokens = result.inputTokens;
    if (candidates.length < count) {
      warnings.push({
        type: 'other',
        message: `The server returned ${candidates.length} of ${count} choices for 'n'; the rest were requested separately.`,
      });
      const missing = Array.from({ length: count - candidates.length }, (_, index) => candidates.length + index);
      const extra = await separateCandidates(request, missing, undefined);
      candidates.push(...extra.candidates);
      inputTokens += extra.inputTokens;
    }
    return {
      candidates,
      usage: { inputTokens, outputTokens: candidates.reduce((sum, candidate) => sum + candidate.outputTokens, 0) },
      warnings,
    };
  }

  async function embed(request: EmbedRequestV1): Promise<EmbedResultV1> {
    ensureOpen();
    throwIfAborted(request.signal);
    const embeddings: number[][] = [];
    for (let start = 0; start < request.texts.length; start += embeddingBatchSize) {
      const batch = request.texts.slice(start, start + embeddingBatchSize);
      const response = await client.requestJson<EmbeddingResponse>({
        method: 'POST',
        url: `${baseURL}/embeddings`,
        body: {
          ...(embeddingModel === undefined ? {} : { model: embeddingModel }),
          input: batch,
          encoding_format: 'float',
        },
        signal: request.signal,
      });
      const data = [...(response.data ?? [])].sort((a, b) => (a.index ?? 0) - (b.index ?? 0));
      if (data.length !== batch.length || data.some((entry) => !Array.isArray(entry.embedding))) {
        throw new CopyForgeError(
          'CF_BACKEND_REQUEST_FAILED',
          `POST /embeddings returned ${data.length} embeddings for ${batch.length} texts.`,
          { retriable: false },
        );
      }
      for (const entry of data) embeddings.push(entry.embedding as number[]);
    }
    return { embeddings, space: `${dialect}:${embeddingModel ?? model ?? 'default'}`, warnings: [] };
  }

  async function tokenize(text: string, signal?: AbortSignal): Promise<number[]> {
    ensureOpen();
    // Plain text: no BOS and no special-token parsing, like the llama.cpp backend.
    const response = await client.requestJson<{ tokens?: unknown[] }>({
      method: 'POST',
      url: `${nativeRoot}/tokenize`,
      body: { content: text, add_special: false, parse_special: false },
      signal,
    });
    const tokens = response.tokens ?? [];
    return tokens.map((token) =>
      typeof token === 'number' ? token : Number((token as { id?: unknown } | null)?.id ?? Number.NaN),
    );
  }

  async function scoreOne(prompt: string, continuation: string, signal?: AbortSignal): Promise<ContinuationScoreV1> {
    const tokens = await tokenize(continuation, signal);
    if (tokens.length === 0) return { logLikelihood: 0, tokenCount: 0, meanLogLikelihood: 0 };
    // Force exactly these tokens with a token-id grammar and read each one's probability
    // before sampling (llama-server's `n_probs` + `post_sampling_probs: false`): a full-vocabulary
    // softmax of the raw logits, so the score is exact and unaffected by the grammar.
    const response = await client.requestJson<LlamaServerCompletion>({
      method: 'POST',
      url: `${nativeRoot}/completion`,
      body: {
        prompt,
        n_predict: tokens.length,
        grammar: exactTokenGrammar(tokens),
        n_probs: 1,
        post_sampling_probs: false,
        temperature: 0,
        cache_prompt: true,
        stream: false,
      },
      signal,
    });
    const probabilities = response.completion_probabilities ?? [];
    if (probabilities.length !== tokens.length || probabilities.some((entry, index) => entry.id !== tokens[index])) {
      throw new CopyForgeError(
        'CF_BACKEND_REQUEST_FAILED',
        `POST /completion scored ${probabilities.length} tokens where ${tokens.length} were forced; is this llama-server with token-id grammars?`,
        { retriable: false },
      );
    }
    const logLikelihood = probabilities.reduce(
      (sum, entry) => sum + Math.max(entry.logprob ?? MIN_LOG_PROBABILITY, MIN_LOG_PROBABILITY),
      0,
    );
    return { logLikelihood, tokenCount: tokens.length, meanLogLikelihood: logLikelihood / tokens.length };
  }

  const description: ModelDescriptionV1 = {
    name: model ?? 'unknown',
    ...(props?.default_generation_settings?.n_ctx ? { contextLength: props.default_generation_settings.n_ctx } : {}),
  };

  const backend: OpenAICompatibleBackend = {
    specificationVersion: 'v1',
    id: options.id ?? `${dialect}:${model ?? 'default'}`,
    model: description,
    dialect,
    baseURL,
    generate,
    embed,
    async dispose() {
      disposed = true;
    },
  };
  if (dialect === 'llama-server') {
    Object.assign(backend, {
      tokenize: (text: string) => tokenize(text),
      async scoreText(request: ScoreTextRequestV1): Promise<ScoreTextResultV1> {
        ensureOpen();
        throwIfAborted(request.signal);
        const prompt = renderScoringPrompt(request.prompt);
        if (prompt.length === 0) throw new CopyForgeError('CF_INVALID_CONFIG', 'scoreText needs a non-empty prompt.');
        const scores = await mapLimited(request.continuations, concurrency, (continuation) =>
          scoreOne(prompt, continuation, request.signal),
        );
        return { scores, warnings: [] };
      },
    });
  }
  return backend;
}

async function readProps(client: HttpClient, nativeRoot: string): Promise<LlamaServerProps> {
  return client.requestJson<LlamaServerProps>({ method: 'GET', url: `${nativeRoot}/props` });
}

/** llama-server answers `GET /props` with its settings; other servers answer 404 (or 401). */
async function detectLlamaServer(client: HttpClient, nativeRoot: string): Promise<LlamaServerProps | undefined> {
  try {
    const props = await readProps(client, nativeRoot);
    const isLlamaServer =
      props !== null && typeof props === 'object' && ('default_generation_settings' in props || 'build_info' in props);
    return isLlamaServer ? props : undefined;
  } catch (error) {
    // A definite answer (404, 401, a non-JSON body) means "not llama-server"; no answer, or a
    // server still loading (503 after the retries), is an error.
    if (
      isCopyForgeError(error, 'CF_BACKEND_REQUEST_FAILED') &&
      typeof error.details.status === 'number' &&
      !error.retriable
    ) {
      return undefined;
    }
    throw error;
  }
}
