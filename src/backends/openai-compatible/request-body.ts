import { CopyForgeError } from '../../core/errors.js';
import type { ChatMessageV1, GenerateRequestV1, SamplingOptionsV1 } from '../../spec/model-backend-v1.js';
import type { WarningV1 } from '../../spec/shared-v1.js';
import { compactJsonGrammar } from './json-schema-grammar.js';

/**
 * Which HTTP API the server speaks beyond the OpenAI one. `llama-server` adds `top_k`,
 * `min_p`, `repeat_penalty`, GBNF `grammar`, native `json_schema`, `/tokenize` and
 * `/completion` with token probabilities (used by `scoreText`).
 */
export type OpenAICompatibleDialect = 'openai' | 'llama-server';

/** Options of the request mapping that come from the backend's options. */
export interface BodyOptions {
  dialect: OpenAICompatibleDialect;
  /** Model name sent as `model`. */
  model: string | undefined;
  /** Send `strict: true` with JSON schemas (OpenAI structured outputs). */
  strictJsonSchema: boolean;
  /** llama-server only: `compact` sends our tight-whitespace GBNF when the schema allows, `server` always sends `json_schema`. */
  jsonGrammar: 'compact' | 'server';
  /** Merged into every generate body last. */
  extraBody: Record<string, unknown> | undefined;
}

const OPENAI_UNSUPPORTED: readonly [keyof SamplingOptionsV1, string][] = [
  ['topK', 'top_k'],
  ['minP', 'min_p'],
  ['repeatPenalty', 'repeat_penalty'],
  ['repeatLastTokens', 'repeat_last_n'],
];

/**
 * Maps sampling options onto body fields. The OpenAI dialect has no `top_k`, `min_p`,
 * `repeat_penalty` or `repeat_last_n` (OpenAI rejects unknown fields), so those become warnings; send them
 * through `extraBody` when your server (vLLM, Ollama) accepts them.
 */
export function samplingFields(
  sampling: SamplingOptionsV1,
  options: BodyOptions,
  candidateIndex: number,
  warnings: WarningV1[] | undefined,
): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  if (sampling.temperature !== undefined) fields.temperature = sampling.temperature;
  if (sampling.topP !== undefined) fields.top_p = sampling.topP;
  // One seed per candidate, as the llama.cpp backend does, so candidates differ but repeat.
  if (sampling.seed !== undefined) fields.seed = sampling.seed + candidateIndex;
  if (sampling.maxTokens !== undefined) fields.max_tokens = sampling.maxTokens;
  if (sampling.stop !== undefined && sampling.stop.length > 0) fields.stop = sampling.stop;
  if (sampling.presencePenalty !== undefined) fields.presence_penalty = sampling.presencePenalty;
  if (sampling.frequencyPenalty !== undefined) fields.frequency_penalty = sampling.frequencyPenalty;
  for (const [option, field] of OPENAI_UNSUPPORTED) {
    const value = sampling[option];
    if (value === undefined) continue;
    // OpenAI's penalties already look at the whole output: a window that covers it is honoured.
    const wholeOutput =
      option === 'repeatLastTokens' && sampling.maxTokens !== undefined && Number(value) >= sampling.maxTokens;
    if (wholeOutput && options.dialect !== 'llama-server') continue;
    if (options.dialect === 'llama-server') fields[field] = value;
    else
      warnings?.push({
        type: 'unsupported-option',
        option: `sampling.${option}`,
        details: `'${field}' is not an OpenAI API field and was not sent; pass it in 'extraBody' if your server accepts it.`,
      });
  }
  return fields;
}

/** Body fields for the output constraint. */
export function responseFormatFields(request: GenerateRequestV1, options: BodyOptions): Record<string, unknown> {
  const format = request.responseFormat;
  if (!format || format.type === 'text') return {};
  if (format.type === 'grammar') {
    if (options.dialect !== 'llama-server') {
      throw new CopyForgeError(
        'CF_CAPABILITY_MISSING',
        "GBNF grammars need the 'llama-server' dialect; the OpenAI API only takes JSON schemas.",
        { details: { capability: 'generate.grammar' } },
      );
    }
    return { grammar: format.grammar };
  }
  if (options.dialect === 'llama-server') {
    // Our own grammar allows one optional space between tokens; llama-server's converter
    // allows runs of newlines and tabs that small models fill until the token limit.
    const grammar = options.jsonGrammar === 'compact' ? compactJsonGrammar(format.schema) : undefined;
    // Otherwise llama-server turns `json_schema` into a grammar itself (chat and raw completions alike).
    return grammar === undefined ? { json_schema: format.schema } : { grammar };
  }
  return {
    response_format: {
      type: 'json_schema',
      json_schema: {
        name: sanitizeSchemaName(format.name ?? 'response'),
        schema: format.schema,
        strict: options.strictJsonSchema,
      },
    },
  };
}

/** OpenAI allows `[a-zA-Z0-9_-]{1,64}` as a schema name. */
export function sanitizeSchemaName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, 64);
  return cleaned.length > 0 ? cleaned : 'response';
}

/**
 * The body of one generate call, for `/chat/completions` (messages) or `/completions` (prompt).
 * `warnings` collects unsupported options; pass it for the first candidate only.
 */
export function generateBody(
  request: GenerateRequestV1,
  options: BodyOptions,
  candidateIndex: number,
  warnings: WarningV1[] | undefined,
): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (options.model !== undefined) body.model = options.model;
  if (request.prompt !== undefined) body.prompt = request.prompt;
  else body.messages = (request.messages ?? []).map(({ role, content }: ChatMessageV1) => ({ role, content }));
  Object.assign(body, samplingFields(request.sampling ?? {}, options, candidateIndex, warnings));
  Object.assign(body, responseFormatFields(request, options));
  if (options.dialect === 'llama-server' && request.sampling?.seed !== undefined) {
    // llama-server's README: logits of a cached prompt are not bit-identical to a fresh
    // evaluation, so a seeded request re-evaluates its prompt to repeat exactly.
    body.cache_prompt = false;
  }
  body.stream = false;
  return options.extraBody ? { ...body, ...options.extraBody } : body;
}

/**
 * Renders chat turns as a plain document for scoring, exactly as the llama.cpp backend
 * does, so both backends score the same text.
 */
export function renderScoringPrompt(prompt: string | readonly ChatMessageV1[]): string {
  if (typeof prompt === 'string') return prompt;
  const parts = prompt.map((message) =>
    message.role === 'assistant' ? `Answer:\n${message.content}` : message.content.trim(),
  );
  return `${parts.join('\n\n')}\n\n`;
}

/** A GBNF grammar that accepts exactly these tokens, in order (llama.cpp's `<[id]>` syntax). */
export function exactTokenGrammar(tokens: readonly number[]): string {
  return `root ::= ${tokens.map((token) => `<[${token}]>`).join(' ')}`;
}
