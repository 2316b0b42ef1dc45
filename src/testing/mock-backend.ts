import { throwIfAborted } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import type {
  EmbedRequestV1,
  GenerateRequestV1,
  GenerateResultV1,
  ModelBackendV1,
  ScoreTextRequestV1,
  ScoreTextResultV1,
} from '../spec/model-backend-v1.js';

/** Options for {@link createMockBackend}. */
export interface MockBackendOptions {
  /** Backend id. @default 'mock' */
  id?: string;
  /**
   * Produces the text of each candidate. Receives the request and the candidate's
   * position. Omit it to leave the backend without a `generate` capability.
   */
  respond?: (request: GenerateRequestV1, candidateIndex: number) => string | Promise<string>;
  /** Produces an embedding per text. Omit it to leave out `embed`. */
  embed?: (text: string) => number[];
  /** Produces a log-likelihood per continuation. Omit it to leave out `scoreText`. */
  score?: (prompt: ScoreTextRequestV1['prompt'], continuation: string) => number;
  /** Waits this long before each answer, honouring the abort signal. @default 0 */
  delayMs?: number;
}

/** A mock backend that also records every call, for assertions. */
export interface MockBackend extends ModelBackendV1 {
  /** Every generate request received, in order. */
  readonly generateCalls: GenerateRequestV1[];
  /** Whether `dispose` was called. */
  readonly disposed: boolean;
}

/**
 * A `ModelBackendV1` test double for unit tests of stages and plugins. It is never a
 * stand-in for the real-model integration tests.
 *
 * @example
 * const backend = createMockBackend({ respond: () => JSON.stringify({ titles: ['a'] }) });
 */
export function createMockBackend(options: MockBackendOptions = {}): MockBackend {
  const generateCalls: GenerateRequestV1[] = [];
  const state = { disposed: false };
  const backend: MockBackend = {
    specificationVersion: 'v1',
    id: options.id ?? 'mock',
    model: { name: 'mock' },
    generateCalls,
    get disposed() {
      return state.disposed;
    },
    async dispose() {
      state.disposed = true;
    },
    async tokenize(text: string) {
      return [...new TextEncoder().encode(text)];
    },
  };
  const { respond, embed, score } = options;
  if (respond) {
    backend.generate = async (request: GenerateRequestV1): Promise<GenerateResultV1> => {
      generateCalls.push(request);
      throwIfAborted(request.signal);
      if (options.delayMs) await sleep(options.delayMs, request.signal).catch(() => throwIfAborted(request.signal));
      const count = request.candidates ?? 1;
      const texts = await Promise.all(Array.from({ length: count }, (_, index) => respond(request, index)));
      return {
        candidates: texts.map((text) => ({ text, finishReason: 'stop', outputTokens: text.length })),
        usage: { inputTokens: 0, outputTokens: texts.reduce((sum, text) => sum + text.length, 0) },
        warnings: [],
      };
    };
  }
  if (embed) {
    backend.embed = async (request: EmbedRequestV1) => ({
      embeddings: request.texts.map(embed),
      space: `${backend.id}:embeddings`,
      warnings: [],
    });
  }
  if (score) {
    backend.scoreText = async (request: ScoreTextRequestV1): Promise<ScoreTextResultV1> => ({
      scores: request.continuations.map((continuation) => {
        const logLikelihood = score(request.prompt, continuation);
        const tokenCount = Math.max(1, continuation.length);
        return { logLikelihood, tokenCount, meanLogLikelihood: logLikelihood / tokenCount };
      }),
      warnings: [],
    });
  }
  return backend;
}
