import { basename } from 'node:path';
import type {
  ChatHistoryItem,
  Llama,
  LlamaCompletion,
  LlamaContext,
  LlamaContextSequence,
  LlamaEmbeddingContext,
  LlamaGrammar,
  LlamaModel,
  Token,
} from 'node-llama-cpp';
import { CopyForgeError, isAbortError, throwIfAborted, toCopyForgeError } from '../../core/errors.js';
import type {
  AdapterDescriptionV1,
  ContinuationScoreV1,
  EmbedRequestV1,
  EmbedResultV1,
  GenerateRequestV1,
  GenerateResultV1,
  ModelBackendV1,
  SamplingOptionsV1,
  ScoreTextRequestV1,
  ScoreTextResultV1,
} from '../../spec/model-backend-v1.js';
import type { WarningV1 } from '../../spec/shared-v1.js';
import { renderCompletionPrompt } from './completion-prompt.js';
import { loadDefaultAdapter } from './default-adapter.js';
import { resolveModelPath } from './default-model.js';
import { getSharedLlama, llamaLogMark, llamaLogSince, loadNodeLlamaCpp } from './load-node-llama-cpp.js';
import { Pool } from './sequence-pool.js';
import { chooseThreads, type ThreadChoice, warnIfOversubscribed } from './threads.js';
import { sha256OfFile } from './verify.js';

/** A LoRA adapter layered on the base model. */
export interface LoraAdapter {
  /** Path of the adapter GGUF. */
  path: string;
  /** Strength. @default 1 */
  scale?: number;
}

/** Options for {@link llamaCppBackend}. */
export interface LlamaCppBackendOptions {
  /** Path of a GGUF file. Give this or `model`. */
  modelPath?: string;
  /** `'default'`: the default model (COPYFORGE_MODEL, then the cache, then a download). */
  model?: 'default';
  /**
   * CPU threads. Passed to llama.cpp explicitly (node-llama-cpp's own default of at least 4
   * made decoding ~100× slower on 2 vCPUs). Rule: cores ÷ model processes on the machine,
   * less one for Node's thread — llama.cpp's threads spin-wait, so two processes asking for
   * every core collapse. A warning (`COPYFORGE_THREADS_OVERSUBSCRIBED`) is emitted when it
   * exceeds the free cores.
   * @default $COPYFORGE_THREADS, else os.availableParallelism() ÷ $COPYFORGE_MODEL_PROCESSES (1) − 1, at least 1
   */
  threads?: number;
  /** Context size per sequence, in tokens. @default 2048 */
  contextSize?: number;
  /** Parallel sequences (candidates or notes generated at once). @default 2 */
  sequences?: number;
  /** LoRA adapter(s), e.g. from your own SFT run. Giving any replaces the default adapter. */
  lora?: string | LoraAdapter[];
  /**
   * Layer the title adapter CopyForge ships (trained with `copyforge train sft` on its own
   * corpus) when the model is the default model and no `lora` is given. Without it the default
   * model is a bare next-token model whose titles are mostly unusable. @default true
   */
  defaultAdapter?: boolean;
  /** GPU: `'auto'` uses one when available. @default 'auto' */
  gpu?: 'auto' | false | 'cuda' | 'vulkan' | 'metal';
  /** Whether node-llama-cpp may build llama.cpp from source when no prebuilt binary fits. @default 'never' */
  build?: 'never' | 'auto' | 'try';
  /**
   * How chat messages reach the model: `chat` uses the model's chat template, `completion`
   * renders them as plain text (for base models). `auto` picks `chat` when the GGUF has a
   * chat template. @default 'auto'
   */
  promptFormat?: 'auto' | 'chat' | 'completion';
  /**
   * Keep only the top-k next-token probabilities when scoring text. Exact scoring over a
   * 262k vocabulary costs 0.1–0.5 s per token; top-k is much cheaper but approximate
   * (a warning says so). @default undefined (exact)
   */
  scoreTopK?: number;
  /** sha256 of the model file when already known; otherwise it is computed at load. */
  modelSha256?: string;
  /** Backend id in provenance. @default `llama-cpp:<file name>` */
  id?: string;
  /** Reports download progress when the default model must be fetched. */
  onDownloadProgress?: (progress: { source: string; downloadedBytes: number; totalBytes?: number }) => void;
}

/** The llama.cpp backend: a `ModelBackendV1` with every capability. */
export interface LlamaCppBackend extends ModelBackendV1 {
  generate(request: GenerateRequestV1): Promise<GenerateResultV1>;
  scoreText(request: ScoreTextRequestV1): Promise<ScoreTextResultV1>;
  embed(request: EmbedRequestV1): Promise<EmbedResultV1>;
  tokenize(text: string): Promise<number[]>;
  dispose(): Promise<void>;
  /** Resolved path of the GGUF file. */
  readonly modelPath: string;
  /** Threads in use. */
  readonly threads: number;
  /** How the threads were chosen (source, cores, free cores at load). */
  readonly threadChoice: ThreadChoice;
}

/**
 * Creates the in-process llama.cpp backend over node-llama-cpp (loaded with `import()`).
 *
 * @example
 * const backend = await llamaCppBackend({ model: 'default', threads: 2 });
 * const { candidates } = await backend.generate({ prompt: 'Hello', sampling: { maxTokens: 16 } });
 * await backend.dispose();
 */
export async function llamaCppBackend(options: LlamaCppBackendOptions = {}): Promise<LlamaCppBackend> {
  const threadChoice = chooseThreads(options.threads);
  const threads = threadChoice.threads;
  const sequenceCount = options.sequences ?? 2;
  const contextSize = options.contextSize ?? 2048;
  for (const [name, value] of [
    ['threads', threads],
    ['sequences', sequenceCount],
    ['contextSize', contextSize],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new CopyForgeError('CF_INVALID_CONFIG', `'${name}' must be a positive integer, got ${value}.`, {
        issues: [{ path: `/${name}`, rule: 'minimum', message: `'/${name}' must be a positive integer` }],
      });
    }
  }
  const modelPath = options.modelPath ?? (await resolveModelPath({ onProgress: options.onDownloadProgress }));
  // Hash the model and resolve the adapters before loading: a missing adapter then fails
  // without a loaded model to leak.
  const sha256 = options.modelSha256 ?? (await sha256OfFile(modelPath));
  let requested =
    options.lora === undefined ? undefined : typeof options.lora === 'string' ? [{ path: options.lora }] : options.lora;
  if (requested === undefined && options.defaultAdapter !== false) {
    const shipped = await loadDefaultAdapter();
    if (shipped && shipped.card.baseModel.sha256 === sha256) requested = [{ path: shipped.path }];
  }
  const loraAdapters = requested?.map((adapter) => ({ filePath: adapter.path, scale: adapter.scale ?? 1 }));
  const adapterDescriptions: AdapterDescriptionV1[] = [];
  for (const adapter of loraAdapters ?? []) {
    const adapterSha256 = await sha256OfFile(adapter.filePath).catch((error: unknown) => {
      throw new CopyForgeError(
        'CF_MODEL_NOT_FOUND',
        `Cannot read the LoRA adapter '${adapter.filePath}': ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    });
    adapterDescriptions.push({ name: basename(adapter.filePath), sha256: adapterSha256, scale: adapter.scale });
  }
  const nodeLlamaCpp = await loadNodeLlamaCpp();
  const logMark = llamaLogMark();
  let llama: Llama;
  let model: LlamaModel;
  try {
    llama = await getSharedLlama({ gpu: options.gpu ?? 'auto', build: options.build ?? 'never', maxThreads: threads });
    // Threads only decide the speed when the CPU decodes.
    if (llama.gpu === false) warnIfOversubscribed(threadChoice);
    model = await llama.loadModel({ modelPath });
  } catch (error) {
    throw new CopyForgeError(
      'CF_MODEL_LOAD_FAILED',
      `Cannot load the model '${modelPath}': ${(error as Error).message}${await llamaLogSince(logMark)}`,
      {
        cause: error,
        details: { modelPath },
      },
    );
  }
  let context: LlamaContext;
  try {
    context = await model.createContext({
      sequences: sequenceCount,
      contextSize,
      threads,
      ...(loraAdapters ? { lora: { adapters: loraAdapters } } : {}),
    });
  } catch (error) {
    await model.dispose();
    // A bad adapter (wrong base model, wrong architecture) fails here: name it.
    const loraPaths = loraAdapters?.map((adapter) => adapter.filePath) ?? [];
    const withLora =
      loraPaths.length > 0 ? ` with the LoRA adapter(s) ${loraPaths.map((path) => `'${path}'`).join(', ')}` : '';
    throw new CopyForgeError(
      'CF_MODEL_LOAD_FAILED',
      `Cannot create a context for '${modelPath}'${withLora}: ${(error as Error).message}${await llamaLogSince(logMark)}`,
      { cause: error, details: { modelPath, ...(loraPaths.length > 0 ? { loraPaths } : {}) } },
    );
  }
  const sequences: LlamaContextSequence[] = Array.from({ length: sequenceCount }, () => context.getSequence());
  const pool = new Pool(sequences);
  // One LlamaCompletion per sequence for the backend's life, not one per request.
  const completions = new Map(
    sequences.map((sequence) => [sequence, new nodeLlamaCpp.LlamaCompletion({ contextSequence: sequence })]),
  );
  const hasChatTemplate = typeof model.fileInfo.metadata.tokenizer?.chat_template === 'string';
  const promptFormat =
    options.promptFormat && options.promptFormat !== 'auto'
      ? options.promptFormat
      : hasChatTemplate
        ? 'chat'
        : 'completion';
  const chatWrapper = nodeLlamaCpp.resolveChatWrapper(model);
  const grammars = new Map<string, Promise<LlamaGrammar>>();
  let embeddingContext: Promise<LlamaEmbeddingContext> | undefined;
  let disposed = false;

  function grammarFor(request: GenerateRequestV1): Promise<LlamaGrammar> | undefined {
    const format = request.responseFormat;
    if (!format || format.type === 'text') return undefined;
    const key = format.type === 'grammar' ? `gbnf:${format.grammar}` : `json:${JSON.stringify(format.schema)}`;
    let grammar = grammars.get(key);
    if (!grammar) {
      grammar =
        format.type === 'grammar'
          ? llama.createGrammar({ grammar: format.grammar })
          : // node-llama-cpp's schema type is stricter than JSON Schema; unsupported keywords fail here.
            llama.createGrammarForJsonSchema(format.schema as never);
      grammar.catch(() => grammars.delete(key));
      // Keep a small cache: schemas repeat per title count and controls.
      if (grammars.size >= 64) grammars.delete(grammars.keys().next().value as string);
      grammars.set(key, grammar);
    }
    return grammar;
  }

  function buildInput(request: GenerateRequestV1): {
    input: string | import('node-llama-cpp').LlamaText;
    stops: import('node-llama-cpp').LlamaText[];
  } {
    if (request.prompt !== undefined) return { input: request.prompt, stops: [] };
    const messages = request.messages ?? [];
    if (promptFormat === 'completion') return { input: renderCompletionPrompt(messages), stops: [] };
    const chatHistory: ChatHistoryItem[] = messages.map((message) =>
      message.role === 'assistant'
        ? { type: 'model', response: [message.content] }
        : { type: message.role, text: message.content },
    );
    chatHistory.push({ type: 'model', response: [] });
    const state = chatWrapper.generateContextState({ chatHistory });
    return { input: state.contextText, stops: state.stopGenerationTriggers };
  }

  // Tokens that are only JSON punctuation or whitespace (`"`, `","`, `{"`...) stay out of the
  // repeat penalties: penalising them would lengthen strings instead of varying words.
  const structural = new Map<Token, boolean>();
  const isStructural = (token: Token) => {
    let known = structural.get(token);
    if (known === undefined) {
      known = /^[\s"{}[\]:,]*$/u.test(model.detokenize([token]));
      structural.set(token, known);
    }
    return known;
  };
  function repeatPenaltyFor(sampling: SamplingOptionsV1) {
    const { repeatPenalty, presencePenalty, frequencyPenalty, repeatLastTokens } = sampling;
    if (repeatPenalty === undefined && presencePenalty === undefined && frequencyPenalty === undefined)
      return undefined;
    return {
      penalty: repeatPenalty,
      presencePenalty,
      frequencyPenalty,
      lastTokens: repeatLastTokens ?? 64,
      punishTokensFilter: (tokens: Token[]) => tokens.filter((token) => !isStructural(token)),
    };
  }

  const backend: LlamaCppBackend = {
    specificationVersion: 'v1',
    id: options.id ?? `llama-cpp:${basename(modelPath)}`,
    model: {
      name: String(model.fileInfo.metadata.general?.name ?? basename(modelPath)),
      sha256,
      contextLength: model.trainContextSize,
      ...(adapterDescriptions.length ? { adapters: adapterDescriptions } : {}),
      threads,
    },
    modelPath,
    threads,
    threadChoice,

    async generate(request) {
      if (disposed) throw new CopyForgeError('CF_BACKEND_REQUEST_FAILED', 'The backend is disposed.');
      throwIfAborted(request.signal);
      if (request.prompt === undefined && !request.messages?.length) {
        throw new CopyForgeError('CF_INVALID_CONFIG', "A generate request needs 'prompt' or 'messages'.");
      }
      const warnings: WarningV1[] = [];
      if (request.messages && promptFormat === 'completion' && !options.promptFormat) {
        warnings.push({
          type: 'other',
          message: 'The model has no chat template; messages were rendered as a plain completion prompt.',
        });
      }
      const sampling = request.sampling ?? {};
      const grammar = await grammarFor(request);
      const { input, stops } = buildInput(request);
      const inputTokens =
        typeof input === 'string' ? model.tokenize(input, true).length : input.tokenize(model.tokenizer).length;
      const count = request.candidates ?? 1;
      const runOne = (candidateIndex: number) =>
        pool.use(async (sequence) => {
          const completion = completions.get(sequence) as LlamaCompletion;
          let outputTokens = 0;
          try {
            const result = await completion.generateCompletionWithMeta(input, {
              signal: request.signal,
              maxTokens: sampling.maxTokens,
              temperature: sampling.temperature,
              topK: sampling.topK,
              topP: sampling.topP,
              minP: sampling.minP,
              seed: sampling.seed === undefined ? undefined : sampling.seed + candidateIndex,
              repeatPenalty: repeatPenaltyFor(sampling),
              grammar,
              customStopTriggers: [...stops, ...(sampling.stop ?? [])],
              onToken: (tokens) => {
                outputTokens += tokens.length;
              },
            });
            const reason = result.metadata.stopReason;
            return {
              text: result.response,
              finishReason:
                reason === 'maxTokens'
                  ? ('length' as const)
                  : reason === 'abort'
                    ? ('abort' as const)
                    : ('stop' as const),
              outputTokens,
            };
          } catch (error) {
            if (isAbortError(error) || request.signal?.aborted) {
              throw new CopyForgeError('CF_ABORTED', 'Generation was aborted.', { cause: error });
            }
            throw toCopyForgeError(error, 'CF_BACKEND_REQUEST_FAILED');
          } finally {
            // Every request starts from an empty sequence: no state leaks between notes.
            await sequence.clearHistory();
          }
        }, request.signal);
      const candidates = await Promise.all(Array.from({ length: count }, (_, index) => runOne(index)));
      return {
        candidates,
        usage: {
          inputTokens: inputTokens * count,
          outputTokens: candidates.reduce((sum, entry) => sum + entry.outputTokens, 0),
        },
        warnings,
      };
    },

    async scoreText(request) {
      throwIfAborted(request.signal);
      const prompt =
        typeof request.prompt === 'string'
          ? request.prompt
          : renderCompletionPrompt(request.prompt).replace(/Answer:\n$/, '');
      const promptTokens = model.tokenize(prompt, true);
      const bos = model.tokens.bos;
      const prefix: Token[] = bos !== null && promptTokens[0] !== bos ? [bos, ...promptTokens] : promptTokens;
      if (prefix.length === 0) throw new CopyForgeError('CF_INVALID_CONFIG', 'scoreText needs a non-empty prompt.');
      const warnings: WarningV1[] = [];
      const topK = options.scoreTopK;
      if (topK !== undefined) {
        warnings.push({
          type: 'other',
          message: `Probabilities are renormalised over the top ${topK} tokens; tokens outside get probability 1e-9.`,
        });
      }
      const generateNext = {
        probabilities: true,
        ...(topK !== undefined ? { options: { temperature: 1, topK } } : {}),
      };
      const scores = await pool.use(async (sequence) => {
        try {
          // Evaluate the shared prompt once; each continuation is scored on top, then erased.
          const head = prefix.slice(0, -1);
          const last = prefix.at(-1) as Token;
          if (head.length > 0) await sequence.evaluateWithoutGeneratingNewTokens(head);
          const results: ContinuationScoreV1[] = [];
          for (const continuation of request.continuations) {
            throwIfAborted(request.signal);
            const tokens = model.tokenize(continuation, false);
            if (tokens.length === 0) {
              results.push({ logLikelihood: 0, tokenCount: 0, meanLogLikelihood: 0 });
              continue;
            }
            const inputs: [Token, { generateNext: typeof generateNext }][] = [last, ...tokens.slice(0, -1)].map(
              (token) => [token, { generateNext }],
            );
            const outputs = await sequence.controlledEvaluate(inputs);
            let logLikelihood = 0;
            tokens.forEach((token, index) => {
              const probability = outputs[index]?.next.probabilities?.get(token) ?? 1e-9;
              logLikelihood += Math.log(Math.max(probability, 1e-9));
            });
            results.push({
              logLikelihood,
              tokenCount: tokens.length,
              meanLogLikelihood: logLikelihood / tokens.length,
            });
            await sequence.eraseContextTokenRanges([{ start: head.length, end: sequence.nextTokenIndex }]);
          }
          return results;
        } finally {
          await sequence.clearHistory();
        }
      }, request.signal);
      return { scores, warnings };
    },

    async embed(request) {
      throwIfAborted(request.signal);
      embeddingContext ??= model.createEmbeddingContext({ threads, contextSize: Math.min(contextSize, 512) });
      const embedder = await embeddingContext;
      const embeddings: number[][] = [];
      for (const text of request.texts) {
        throwIfAborted(request.signal);
        embeddings.push([...(await embedder.getEmbeddingFor(text)).vector]);
      }
      // node-llama-cpp 3.21 embedding contexts take no LoRA adapters: say so rather than hide it.
      const warnings: WarningV1[] = loraAdapters
        ? [{ type: 'other', message: 'Embeddings come from the base model: LoRA adapters are not applied to embed().' }]
        : [];
      return { embeddings, space: `llama-cpp:${sha256}`, warnings };
    },

    async tokenize(text) {
      return [...model.tokenize(text, false)];
    },

    async dispose() {
      if (disposed) return;
      disposed = true;
      for (const completion of completions.values()) completion.dispose({ disposeSequence: false });
      // Sequences first, then the contexts, then the model (node-llama-cpp issues #623, #631).
      for (const sequence of sequences) if (!sequence.disposed) await sequence.dispose();
      if (embeddingContext) await (await embeddingContext).dispose();
      await context.dispose();
      await model.dispose();
    },
  };
  return backend;
}
