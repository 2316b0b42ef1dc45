import type { JsonSchemaV1, WarningV1 } from './shared-v1.js';

/**
 * A model backend: a local engine (node-llama-cpp) or a remote server. Every
 * capability is optional; callers check for it, and the host reports
 * `CF_CAPABILITY_MISSING` when a stage needs one the backend lacks.
 */
export interface ModelBackendV1 {
  /** Contract version; the host rejects versions it does not know. */
  readonly specificationVersion: 'v1';
  /** Stable id of the backend and model, e.g. `llama-cpp:gemma-3-270m-it`. Goes into provenance. */
  readonly id: string;
  /** What model is behind the backend, for provenance and reports. */
  readonly model?: ModelDescriptionV1;
  /** Generates one or more candidates for a prompt, optionally constrained by a JSON Schema or grammar. */
  generate?(request: GenerateRequestV1): Promise<GenerateResultV1>;
  /** Log-likelihood of given continuations after a prompt (perplexity, fluency). */
  scoreText?(request: ScoreTextRequestV1): Promise<ScoreTextResultV1>;
  /** Embedding vectors for texts. */
  embed?(request: EmbedRequestV1): Promise<EmbedResultV1>;
  /** Token ids of a text in the model's vocabulary. */
  tokenize?(text: string): Promise<number[]>;
  /** Frees engine memory. Safe to call twice. */
  dispose?(): Promise<void>;
}

/** Identity of the model behind a backend. */
export interface ModelDescriptionV1 {
  /** Human-readable model name, e.g. `gemma-3-270m-it Q4_K_M`. */
  name: string;
  /** sha256 of the weights file, when known; recorded in provenance. */
  sha256?: string;
  /** Context window in tokens, when known. */
  contextLength?: number;
  /** LoRA adapters layered on the weights, in order; recorded in provenance. */
  adapters?: AdapterDescriptionV1[];
  /**
   * CPU threads a local engine decodes with, when it decides them; recorded in provenance
   * (the thread count can change floating-point summation order, hence the sampled tokens).
   */
  threads?: number;
}

/** A LoRA adapter a backend applies on top of its model. */
export interface AdapterDescriptionV1 {
  /** File or adapter name, e.g. `copyforge-titles-v1.gguf`. */
  name: string;
  /** sha256 of the adapter file. */
  sha256: string;
  /** Strength the adapter is applied with. */
  scale?: number;
}

/** One chat turn. */
export interface ChatMessageV1 {
  /** Who speaks. */
  role: 'system' | 'user' | 'assistant';
  /** The text of the turn. */
  content: string;
}

/** How the output must be shaped. */
export type ResponseFormatV1 =
  | { /** Free text. */ type: 'text' }
  | {
      /** Output must match the schema (grammar-constrained where the engine can). */ type: 'json-schema';
      schema: JsonSchemaV1;
      name?: string;
    }
  | { /** Output must match a GBNF grammar. */ type: 'grammar'; grammar: string };

/** Sampling settings; every field is optional and unsupported ones come back as warnings. */
export interface SamplingOptionsV1 {
  /** Softmax temperature; 0 means greedy. @default engine default */
  temperature?: number;
  /** Keep the k most likely tokens. */
  topK?: number;
  /** Nucleus sampling mass. */
  topP?: number;
  /** Drop tokens below this fraction of the top token's probability. */
  minP?: number;
  /** Penalty on repeated tokens (1 = none). */
  repeatPenalty?: number;
  /**
   * How many of the last generated tokens the repeat, presence and frequency penalties
   * look at. Long structured outputs (12 titles) need the whole output. @default 64
   */
  repeatLastTokens?: number;
  /** Subtracted once from the logit of every token already generated (OpenAI `presence_penalty`). */
  presencePenalty?: number;
  /** Subtracted per earlier occurrence of a token (OpenAI `frequency_penalty`). */
  frequencyPenalty?: number;
  /** Seed for reproducible sampling. */
  seed?: number;
  /** Most tokens to generate per candidate. */
  maxTokens?: number;
  /** Strings that end generation. */
  stop?: string[];
}

/** A generation request. Give `messages` (chat) or `prompt` (raw completion). */
export interface GenerateRequestV1 {
  /** Chat turns, formatted with the model's chat template. */
  messages?: ChatMessageV1[];
  /** A raw prompt, used as is. */
  prompt?: string;
  /** Output constraint. @default { type: 'text' } */
  responseFormat?: ResponseFormatV1;
  /** Sampling settings. */
  sampling?: SamplingOptionsV1;
  /** Number of independent candidates (run in parallel where the engine can). @default 1 */
  candidates?: number;
  /** Cancels the request; the promise rejects with `CF_ABORTED`. */
  signal?: AbortSignal;
}

/** Why a candidate ended. */
export type FinishReasonV1 = 'stop' | 'length' | 'abort' | 'error';

/** One generated candidate. */
export interface GeneratedCandidateV1 {
  /** The generated text (JSON text for `json-schema` requests). */
  text: string;
  /** Why generation ended; `length` means output was cut by `maxTokens`. */
  finishReason: FinishReasonV1;
  /** Tokens generated for this candidate. */
  outputTokens: number;
}

/** The result of {@link ModelBackendV1.generate}. */
export interface GenerateResultV1 {
  /** One entry per requested candidate, in order. */
  candidates: GeneratedCandidateV1[];
  /** Token counts for cost and throughput accounting. */
  usage: { inputTokens: number; outputTokens: number };
  /** Options that were not honoured. */
  warnings: WarningV1[];
}

/** A request to score continuations of one prompt. */
export interface ScoreTextRequestV1 {
  /** Shared context evaluated once (chat turns or raw text). */
  prompt: string | ChatMessageV1[];
  /** Texts whose likelihood after the prompt is wanted. */
  continuations: string[];
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** Likelihood of one continuation. */
export interface ContinuationScoreV1 {
  /** Sum of natural-log probabilities of the continuation's tokens. */
  logLikelihood: number;
  /** Number of tokens scored. */
  tokenCount: number;
  /** `logLikelihood / tokenCount`: comparable across lengths. */
  meanLogLikelihood: number;
}

/** The result of {@link ModelBackendV1.scoreText}. */
export interface ScoreTextResultV1 {
  /** One score per continuation, in order. */
  scores: ContinuationScoreV1[];
  /** Approximations made, e.g. truncated probability maps. */
  warnings: WarningV1[];
}

/** A request for embeddings. */
export interface EmbedRequestV1 {
  /** Texts to embed. */
  texts: string[];
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** The result of {@link ModelBackendV1.embed}. */
export interface EmbedResultV1 {
  /** One vector per text, in order. */
  embeddings: number[][];
  /** Identifies the embedding space (model hash); vectors from different spaces do not mix. */
  space: string;
  /** Options that were not honoured. */
  warnings: WarningV1[];
}
