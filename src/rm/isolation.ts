// Running one reward-model batch under a timeout: in-process (the RM gets an AbortSignal
// and is abandoned when it ignores it) or in a worker thread (terminated on timeout, so
// a plugin that blocks the event loop cannot stall generation).

import { Worker } from 'node:worker_threads';
import { CopyForgeError } from '../core/errors.js';
import type { Note } from '../schemas/types.js';
import type { ModelBackendV1 } from '../spec/model-backend-v1.js';
import type { RewardCandidateV1, RewardModelV1 } from '../spec/reward-model-v1.js';

/** One batch to score. */
export interface BatchRequest {
  /** Candidates of one note. */
  candidates: RewardCandidateV1[];
  /** The note. */
  note: Note;
  /** Validated, frozen config. */
  config: unknown;
  /** The pipeline's backend (not available inside a worker). */
  backend?: ModelBackendV1;
  /** The caller's cancellation signal. */
  signal?: AbortSignal;
  /** Time limit for the batch. */
  timeoutMs: number;
}

function timeoutError(name: string, timeoutMs: number): CopyForgeError {
  return new CopyForgeError('CF_TIMEOUT', `Reward model '${name}' did not answer within ${timeoutMs} ms.`, {
    details: { rewardModel: name, timeoutMs },
  });
}

function abortedError(signal: AbortSignal): CopyForgeError {
  return new CopyForgeError('CF_ABORTED', 'Scoring was aborted.', { cause: signal.reason });
}

/**
 * Races `work` against the timeout and the caller's signal. `onTimeout` runs before the
 * promise rejects (abort the RM's signal, terminate a worker).
 */
export async function withDeadline<T>(
  work: Promise<T>,
  request: BatchRequest,
  name: string,
  onTimeout: (error: CopyForgeError) => void,
): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let onAbort: (() => void) | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const error = timeoutError(name, request.timeoutMs);
      onTimeout(error);
      reject(error);
    }, request.timeoutMs);
    if (request.signal) {
      onAbort = () => reject(abortedError(request.signal as AbortSignal));
      if (request.signal.aborted) onAbort();
      else request.signal.addEventListener('abort', onAbort, { once: true });
    }
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    if (onAbort) request.signal?.removeEventListener('abort', onAbort);
  }
}

/** Runs a batch in this thread. The RM's signal fires on timeout or when the caller aborts. */
export function runInProcess(rewardModel: RewardModelV1, request: BatchRequest): Promise<unknown> {
  const controller = new AbortController();
  const forward = () => controller.abort(request.signal?.reason);
  request.signal?.addEventListener('abort', forward, { once: true });
  const work = Promise.resolve().then(() =>
    rewardModel.scoreBatch(request.candidates, {
      note: request.note,
      config: request.config as Record<string, unknown>,
      backend: request.backend,
      signal: controller.signal,
    }),
  );
  // A late rejection after the timeout must not become an unhandled rejection.
  work.catch(() => {});
  return withDeadline(work, request, rewardModel.name, (error) => controller.abort(error)).finally(() =>
    request.signal?.removeEventListener('abort', forward),
  );
}

// The worker's source, evaluated as a CommonJS script so it needs no file of its own
// (bundlers and vitest alike leave it alone). It imports the plugin module by URL.
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
let loaded;
function deepFreeze(value) {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze(value[key]);
  }
  return value;
}
async function load() {
  const namespace = await import(workerData.url);
  let plugin = namespace.default ?? namespace.plugin;
  if (plugin && typeof plugin === 'object' && 'default' in plugin && !('name' in plugin)) plugin = plugin.default;
  if (typeof plugin.init === 'function') await plugin.init();
  return new Map((plugin.rewardModels ?? []).map((model) => [model.name, model]));
}
parentPort.on('message', async (message) => {
  const { id, rewardModel, candidates, note, config } = message;
  try {
    loaded ??= load();
    const models = await loaded;
    const model = models.get(rewardModel);
    if (!model) throw new Error('The plugin has no reward model named ' + rewardModel);
    const controller = new AbortController();
    const scores = await model.scoreBatch(candidates, { note, config: deepFreeze(config), signal: controller.signal });
    parentPort.postMessage({ id, scores });
  } catch (error) {
    parentPort.postMessage({ id, error: { message: String(error && error.message || error), code: error && error.code } });
  }
});
`;

interface Pending {
  worker: Worker;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/**
 * Runs the reward models of one plugin module in a worker thread. The worker starts on
 * first use, is terminated when a batch times out, and is started afresh for the next.
 */
export class WorkerRunner {
  readonly #url: string;
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #pending = new Map<number, Pending>();

  /** @param url what the worker passes to `import()`: a `file:` URL or a package name. */
  constructor(url: string) {
    this.#url = url;
  }

  #start(): Worker {
    const worker = new Worker(workerSource, { eval: true, workerData: { url: this.#url } });
    // The host's process may exit while an idle worker exists.
    worker.unref();
    worker.on('message', (message: { id: number; scores?: unknown; error?: { message: string; code?: string } }) => {
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) {
        pending.reject(
          new CopyForgeError('CF_REWARD_MODEL_FAILED', message.error.message, { details: { ...message.error } }),
        );
      } else {
        pending.resolve(message.scores);
      }
    });
    // Only this worker's batches fail: a terminated worker's late exit must not touch its successor.
    const failAll = (error: CopyForgeError) => {
      for (const [id, pending] of this.#pending) {
        if (pending.worker !== worker) continue;
        this.#pending.delete(id);
        pending.reject(error);
      }
      if (this.#worker === worker) this.#worker = undefined;
    };
    worker.on('error', (error) =>
      failAll(
        new CopyForgeError('CF_REWARD_MODEL_FAILED', `The plugin worker crashed: ${error.message}`, { cause: error }),
      ),
    );
    worker.on('exit', (code) =>
      failAll(new CopyForgeError('CF_REWARD_MODEL_FAILED', `The plugin worker exited with code ${code}.`)),
    );
    return worker;
  }

  /** Scores a batch with the named reward model inside the worker. */
  run(rewardModel: string, request: BatchRequest): Promise<unknown> {
    this.#worker ??= this.#start();
    const worker = this.#worker;
    const id = this.#nextId++;
    const work = new Promise<unknown>((resolve, reject) => this.#pending.set(id, { worker, resolve, reject }));
    work.catch(() => {});
    // Functions and class instances do not cross threads: send plain data only.
    worker.postMessage({
      id,
      rewardModel,
      candidates: request.candidates,
      note: request.note,
      config: request.config,
    });
    return withDeadline(work, request, rewardModel, () => {
      this.#pending.delete(id);
      if (this.#worker === worker) this.#worker = undefined;
      void worker.terminate();
    });
  }

  /** Terminates the worker, if one is running. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }
}
