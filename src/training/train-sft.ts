import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { renderCompletionPrompt } from '../backends/llama-cpp/completion-prompt.js';
import { resolveModelPath } from '../backends/llama-cpp/default-model.js';
import { sha256OfFile } from '../backends/llama-cpp/verify.js';
import { CopyForgeError } from '../core/errors.js';
import type { ChatMessageV1 } from '../spec/model-backend-v1.js';
import { VERSION } from '../version.js';
import { ensureLlamaCppSource } from './llama-cpp-source.js';
import { ensurePythonEnvironment, runProcess, trainingScriptsDirectory } from './python-env.js';

/** Hyper-parameters of a LoRA SFT run; every one is recorded in the adapter's card. */
export interface SftHyperParameters {
  /** Passes over the data (fractions allowed). @default 1 */
  epochs: number;
  /** Stop after this many optimiser steps; 0: the epochs decide. @default 0 */
  maxSteps: number;
  /** Examples per optimiser step. @default 8 */
  batchSize: number;
  /** Peak learning rate (linear warm-up, then linear decay to 0). @default 0.0002 */
  learningRate: number;
  /** Warm-up steps. @default 10 */
  warmupSteps: number;
  /** LoRA rank. @default 16 */
  rank: number;
  /** LoRA alpha (the update is scaled by alpha / rank). @default 32 */
  alpha: number;
  /** LoRA dropout. @default 0.05 */
  dropout: number;
  /** Modules that get an adapter. @default ['q_proj','k_proj','v_proj','o_proj','gate_proj','up_proj','down_proj'] */
  targetModules: string[];
  /** Examples longer than this many tokens are left out (never cut). @default 1024 */
  maxLength: number;
  /**
   * Encode each prompt without gradients and back-propagate through the answer only: the
   * loss is the same, training is about 4x faster on CPU, but how the prompt is encoded is
   * not tuned. @default true
   */
  detachPrompt: boolean;
  /** Seed of the data order, dropout and adapter initialisation. @default 1 */
  seed: number;
}

/** One progress report of {@link trainSft}. */
export type SftProgress =
  | { phase: 'environment'; message: string }
  | { phase: 'loading'; message: string }
  | { phase: 'start'; steps: number; examples: number; dropped: number; resumedAt: number }
  | { phase: 'step'; step: number; steps: number; loss: number; tokensPerSecond: number; epoch: number }
  | { phase: 'checkpoint'; step: number }
  | { phase: 'converting'; message: string };

/** Options for {@link trainSft}. */
export interface TrainSftOptions extends Partial<SftHyperParameters> {
  /**
   * Training data: a JSONL file, or a folder with `train.jsonl` (what `copyforge dataset sft`
   * writes), of `{ prompt, completion }` lines or chat lines `{ messages }` whose last turn is
   * the assistant's answer.
   * @example 'out/sft'
   */
  data: string;
  /** Output folder: checkpoints, `adapter.gguf`, `adapter.card.json`. */
  out: string;
  /** The base model GGUF. @default the default model (COPYFORGE_MODEL, else the cached Gemma 3 270M) */
  model?: string;
  /** CPU threads for PyTorch. @default os.availableParallelism() */
  threads?: number;
  /** Continue from `<out>/checkpoint` when it exists. @default false */
  resume?: boolean;
  /**
   * Start from an adapter an earlier run trained (its output folder, or that folder's
   * `adapter/` PEFT folder) instead of from zero: same rank, alpha and target modules, a fresh
   * optimiser and learning-rate schedule. For continuing training on more or newer data.
   */
  initAdapter?: string;
  /** Steps between checkpoints. @default 25 */
  checkpointEvery?: number;
  /** Progress reports (setting up, loading, each step, converting). */
  onProgress?: (progress: SftProgress) => void;
  /** Cancels the run (the Python process is killed; resume from the last checkpoint). */
  signal?: AbortSignal;
}

/** The JSON card written beside every adapter. */
export interface AdapterCard {
  format: 'copyforge-adapter-card-v1';
  adapter: { file: string; sha256: string; bytes: number };
  baseModel: { file: string; sha256: string };
  /** What was trained on: `file` (beside the adapter) as prepared from `source`; `sha256` is of `file`. */
  data: { file: string; source?: string; sha256: string; examples: number; dropped: number };
  hyperParameters: SftHyperParameters;
  /** The adapter this run started from (`initAdapter`); `sha256` is of its safetensors weights. */
  initAdapter?: { path: string; sha256: string };
  threads: number;
  /** Loss of every optimiser step. */
  lossCurve: number[];
  steps: number;
  tokens: number;
  trainSeconds: number;
  wallSeconds: number;
  copyforgeVersion: string;
  createdAt: string;
}

/** What {@link trainSft} produced. */
export interface TrainSftResult {
  adapterPath: string;
  cardPath: string;
  card: AdapterCard;
}

const defaults: SftHyperParameters = {
  epochs: 1,
  maxSteps: 0,
  batchSize: 8,
  learningRate: 2e-4,
  warmupSteps: 10,
  rank: 16,
  alpha: 32,
  dropout: 0.05,
  targetModules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'],
  maxLength: 1024,
  detachPrompt: true,
  seed: 1,
};

function invalid(path: string, message: string): CopyForgeError {
  return new CopyForgeError('CF_INVALID_INPUT', `${path}: ${message}`, {
    issues: [{ path, rule: 'format', message }],
  });
}

/** Reads SFT lines into prompt-completion records, naming the line of any bad one. */
export async function readSftRecords(path: string): Promise<{ prompt: string; completion: string }[]> {
  const text = await readFile(path, 'utf8').catch((error: unknown) => {
    throw new CopyForgeError('CF_INPUT_READ_FAILED', `Cannot read ${path}: ${(error as Error).message}`, {
      cause: error,
    });
  });
  const records: { prompt: string; completion: string }[] = [];
  text.split('\n').forEach((line, index) => {
    if (line.trim() === '') return;
    const where = `${path}:${index + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw invalid(where, 'is not JSON');
    }
    const record = value as { prompt?: unknown; completion?: unknown; messages?: unknown };
    if (typeof record?.prompt === 'string' && typeof record.completion === 'string') {
      records.push({ prompt: record.prompt, completion: record.completion });
      return;
    }
    if (Array.isArray(record?.messages)) {
      const messages = record.messages as ChatMessageV1[];
      const answer = messages.at(-1);
      const wellFormed = messages.every(
        (message) => typeof message?.content === 'string' && ['system', 'user', 'assistant'].includes(message.role),
      );
      if (!wellFormed || answer?.role !== 'assistant') {
        throw invalid(where, 'chat lines need {role, content} turns ending with the assistant answer');
      }
      records.push({ prompt: renderCompletionPrompt(messages.slice(0, -1)), completion: answer.content });
      return;
    }
    throw invalid(where, 'needs {prompt, completion} or {messages}');
  });
  if (records.length === 0) throw invalid(path, 'holds no examples');
  return records;
}

function checkHyperParameters(parameters: SftHyperParameters): void {
  const positive = ['epochs', 'batchSize', 'learningRate', 'rank', 'alpha', 'maxLength'] as const;
  for (const key of positive) {
    const value = parameters[key];
    if (!(typeof value === 'number' && Number.isFinite(value) && value > 0)) {
      throw new CopyForgeError('CF_INVALID_CONFIG', `'${key}' must be a positive number, got ${value}.`, {
        issues: [{ path: `/${key}`, rule: 'exclusiveMinimum', message: `'/${key}' must be > 0` }],
      });
    }
  }
  for (const key of ['batchSize', 'rank', 'maxLength'] as const) {
    if (!Number.isInteger(parameters[key])) {
      throw new CopyForgeError('CF_INVALID_CONFIG', `'${key}' must be a whole number, got ${parameters[key]}.`, {
        issues: [{ path: `/${key}`, rule: 'type', message: `'/${key}' must be an integer` }],
      });
    }
  }
  for (const key of ['maxSteps', 'warmupSteps', 'seed'] as const) {
    if (!Number.isInteger(parameters[key]) || parameters[key] < 0) {
      throw new CopyForgeError('CF_INVALID_CONFIG', `'${key}' must be a whole number >= 0.`, {
        issues: [{ path: `/${key}`, rule: 'minimum', message: `'/${key}' must be an integer >= 0` }],
      });
    }
  }
  if (!(parameters.dropout >= 0 && parameters.dropout < 1)) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'dropout' must be in [0, 1).`, {
      issues: [{ path: '/dropout', rule: 'maximum', message: "'/dropout' must be in [0, 1)" }],
    });
  }
}

/**
 * LoRA supervised fine-tuning of a GGUF model on prompt-completion data, loss on the answer
 * only, on CPU: sets up the pinned Python environment on first use
 * ({@link ensurePythonEnvironment}), trains with PyTorch + PEFT (checkpointing every
 * `checkpointEvery` steps; `resume` continues), converts the adapter with llama.cpp's own
 * converter, and writes `<out>/adapter.gguf` plus `<out>/adapter.card.json` (base-model and
 * data sha256, seed, hyper-parameters, loss curve, time). Load the result with
 * `llamaCppBackend({ lora: '<out>/adapter.gguf' })` or `copyforge generate --lora`.
 *
 * @example
 * const { adapterPath, card } = await trainSft({ data: 'out/sft', out: 'out/adapter', epochs: 2 });
 */
export async function trainSft(options: TrainSftOptions): Promise<TrainSftResult> {
  const started = performance.now();
  const parameters: SftHyperParameters = { ...defaults };
  for (const key of Object.keys(defaults) as (keyof SftHyperParameters)[]) {
    if (options[key] !== undefined) (parameters as unknown as Record<string, unknown>)[key] = options[key];
  }
  checkHyperParameters(parameters);
  const threads = options.threads ?? availableParallelism();
  const checkpointEvery = options.checkpointEvery ?? 25;
  for (const [name, value] of [
    ['threads', threads],
    ['checkpointEvery', checkpointEvery],
  ] as const) {
    if (!Number.isInteger(value) || value < 1) {
      throw new CopyForgeError('CF_INVALID_CONFIG', `'${name}' must be a whole number >= 1, got ${value}.`, {
        issues: [{ path: `/${name}`, rule: 'minimum', message: `'/${name}' must be an integer >= 1` }],
      });
    }
  }
  const dataPath = existsSync(join(options.data, 'train.jsonl')) ? join(options.data, 'train.jsonl') : options.data;
  const records = await readSftRecords(dataPath);
  const out = resolve(options.out);
  await mkdir(out, { recursive: true }).catch((error: unknown) => {
    throw new CopyForgeError(
      'CF_INVALID_CONFIG',
      `Cannot create the output folder '${out}': ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  });
  const prepared = join(out, 'train-data.jsonl');
  const preparedText = `${records.map((record) => JSON.stringify(record)).join('\n')}\n`;
  await writeFile(prepared, preparedText);
  const dataSha256 = createHash('sha256').update(preparedText).digest('hex');

  const report = options.onProgress ?? (() => {});
  const model = resolve(options.model ?? (await resolveModelPath({ signal: options.signal })));
  if (!existsSync(model)) throw new CopyForgeError('CF_MODEL_NOT_FOUND', `The base model '${model}' does not exist.`);
  report({ phase: 'environment', message: 'checking the Python training environment' });
  const environment = await ensurePythonEnvironment({
    signal: options.signal,
    onInstallLine: (line) => report({ phase: 'environment', message: line }),
  });
  const llamaCpp = await ensureLlamaCppSource({ signal: options.signal });
  const baseSha256 = await sha256OfFile(model);

  let initAdapter: string | undefined;
  if (options.initAdapter !== undefined) {
    const given = resolve(options.initAdapter);
    initAdapter = existsSync(join(given, 'adapter', 'adapter_config.json')) ? join(given, 'adapter') : given;
    if (!existsSync(join(initAdapter, 'adapter_config.json'))) {
      throw new CopyForgeError(
        'CF_INVALID_CONFIG',
        `'initAdapter': '${given}' holds no PEFT adapter (adapter_config.json); give an earlier run's output folder.`,
        { issues: [{ path: '/initAdapter', rule: 'format', message: `'/initAdapter' holds no PEFT adapter` }] },
      );
    }
  }

  const adapterPath = join(out, 'adapter.gguf');
  // A failed run must not leave an earlier run's adapter looking like its result.
  await rm(adapterPath, { force: true });
  await rm(join(out, 'adapter.card.json'), { force: true });
  const args = [
    join(trainingScriptsDirectory(), 'train_sft.py'),
    ...['--base-gguf', model, '--data', prepared, '--out', out, '--adapter-gguf', adapterPath],
    ...['--llama-cpp', llamaCpp, '--threads', String(threads), '--seed', String(parameters.seed)],
    ...['--epochs', String(parameters.epochs), '--max-steps', String(parameters.maxSteps)],
    ...['--batch-size', String(parameters.batchSize), '--learning-rate', String(parameters.learningRate)],
    ...['--warmup-steps', String(parameters.warmupSteps), '--rank', String(parameters.rank)],
    ...['--alpha', String(parameters.alpha), '--dropout', String(parameters.dropout)],
    ...['--target-modules', parameters.targetModules.join(','), '--max-length', String(parameters.maxLength)],
    ...['--checkpoint-every', String(checkpointEvery), '--data-sha256', dataSha256],
    ...(parameters.detachPrompt ? ['--detach-prompt'] : []),
    ...(options.resume ? ['--resume'] : []),
    ...(initAdapter ? ['--init-adapter', initAdapter] : []),
  ];
  type Done = {
    losses: number[];
    steps: number;
    tokens: number;
    trainSeconds: number;
    examples: number;
    dropped: number;
  };
  let done: Done | undefined;
  let initSha256 = '';
  report({ phase: 'loading', message: `loading ${basename(model)} in PyTorch (dequantised to fp32)` });
  const result = await runProcess(environment.python, args, {
    signal: options.signal,
    env: {
      ...process.env,
      HF_HUB_OFFLINE: '1',
      TRANSFORMERS_OFFLINE: '1',
      OMP_NUM_THREADS: String(threads),
      PYTHONUNBUFFERED: '1',
      TQDM_DISABLE: '1',
    },
    // Events come on stdout, one JSON object per line; stderr is only kept for error messages.
    onErrorLine: () => {},
    onLine: (line) => {
      if (!line.startsWith('{"event"')) return;
      let event: Record<string, unknown> & { event: string };
      try {
        event = JSON.parse(line) as Record<string, unknown> & { event: string };
      } catch {
        return;
      }
      if (event.event === 'start') {
        report({
          phase: 'start',
          steps: event.steps as number,
          examples: event.examples as number,
          dropped: event.dropped as number,
          resumedAt: event.resumedAt as number,
        });
      } else if (event.event === 'step') {
        report({
          phase: 'step',
          step: event.step as number,
          steps: event.steps as number,
          loss: event.loss as number,
          tokensPerSecond: event.tokensPerSecond as number,
          epoch: event.epoch as number,
        });
      } else if (event.event === 'checkpoint') report({ phase: 'checkpoint', step: event.step as number });
      else if (event.event === 'saved') report({ phase: 'converting', message: 'converting the adapter to GGUF' });
      else if (event.event === 'initialised') initSha256 = String(event.sha256);
      else if (event.event === 'warning') report({ phase: 'loading', message: String(event.message) });
      else if (event.event === 'done') done = event as unknown as Done;
    },
  });
  if (options.signal?.aborted) {
    throw new CopyForgeError(
      'CF_ABORTED',
      'Training was cancelled; rerun with resume to continue from the last checkpoint.',
      {
        cause: options.signal.reason,
      },
    );
  }
  if (result.code !== 0 || !done || !existsSync(adapterPath)) {
    const tail = result.output
      .split('\n')
      .filter((line) => line.trim() && !line.startsWith('{"event"'))
      .slice(-8)
      .join('\n');
    throw new CopyForgeError(
      'CF_TRAINING_FAILED',
      `Training failed (exit ${result.code ?? result.signal ?? result.spawnError?.message}):\n${tail}`,
      { details: { out } },
    );
  }
  const card: AdapterCard = {
    format: 'copyforge-adapter-card-v1',
    adapter: {
      file: basename(adapterPath),
      sha256: await sha256OfFile(adapterPath),
      bytes: (await stat(adapterPath)).size,
    },
    baseModel: { file: basename(model), sha256: baseSha256 },
    // The hash is of what was trained on: the prepared file beside the adapter.
    data: {
      file: basename(prepared),
      source: resolve(dataPath),
      sha256: dataSha256,
      examples: done.examples,
      dropped: done.dropped,
    },
    hyperParameters: parameters,
    ...(initAdapter ? { initAdapter: { path: initAdapter, sha256: initSha256 } } : {}),
    threads,
    lossCurve: done.losses,
    steps: done.steps,
    tokens: done.tokens,
    trainSeconds: done.trainSeconds,
    wallSeconds: Math.round((performance.now() - started) / 100) / 10,
    copyforgeVersion: VERSION,
    createdAt: new Date().toISOString(),
  };
  const cardPath = join(out, 'adapter.card.json');
  await writeFile(cardPath, `${JSON.stringify(card, null, 2)}\n`);
  return { adapterPath, cardPath, card };
}
