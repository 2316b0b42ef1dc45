import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { CopyForgeError } from '../core/errors.js';
import type { BatchResult, CleanStageOptions } from './processor.js';
import type { RawItem } from './records.js';

/** How a worker thread is started: a built file, or source bundled on the fly (development). */
type WorkerScript = { kind: 'file'; url: URL } | { kind: 'eval'; code: string };

let cachedScript: Promise<WorkerScript> | undefined;

async function bundleSource(entry: string): Promise<string> {
  // Development only (running from TypeScript sources, e.g. under vitest): esbuild comes with tsup/vite.
  const moduleName = 'esbuild';
  const esbuild = (await import(moduleName)) as {
    build(options: Record<string, unknown>): Promise<{ outputFiles: { text: string }[] }>;
  };
  const result = await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    write: false,
    logLevel: 'silent',
  });
  return result.outputFiles[0]!.text;
}

/**
 * Finds the worker script: `corpus-worker.js` beside the running bundle, else (from a
 * source checkout) `worker-entry.ts` bundled with esbuild.
 */
export function resolveWorkerScript(): Promise<WorkerScript> {
  cachedScript ??= (async (): Promise<WorkerScript> => {
    const built = new URL('./corpus-worker.js', import.meta.url);
    if (existsSync(fileURLToPath(built))) return { kind: 'file', url: built };
    const source = new URL('./worker-entry.ts', import.meta.url);
    if (existsSync(fileURLToPath(source))) return { kind: 'eval', code: await bundleSource(fileURLToPath(source)) };
    throw new CopyForgeError('CF_INTERNAL', `No cleaning worker script next to ${import.meta.url}.`);
  })();
  cachedScript.catch(() => {
    cachedScript = undefined;
  });
  return cachedScript;
}

interface PendingBatch {
  id: number;
  items: RawItem[];
  resolve: (result: BatchResult) => void;
  reject: (error: Error) => void;
}

/** A fixed set of worker threads running {@link BatchProcessor}; batches queue for the first idle one. */
export class WorkerPool {
  readonly size: number;
  readonly #workers: Worker[] = [];
  readonly #idle: Worker[] = [];
  readonly #queue: PendingBatch[] = [];
  readonly #running = new Map<Worker, PendingBatch>();
  #nextId = 0;
  #failure: Error | undefined;

  private constructor(workers: Worker[]) {
    this.size = workers.length;
    for (const worker of workers) {
      this.#workers.push(worker);
      this.#idle.push(worker);
      worker.on('message', (message: { id: number; result?: BatchResult; error?: string }) => {
        const pending = this.#running.get(worker);
        this.#running.delete(worker);
        this.#idle.push(worker);
        if (pending) {
          if (message.result) pending.resolve(message.result);
          else pending.reject(new CopyForgeError('CF_INTERNAL', `A cleaning worker failed: ${message.error}`));
        }
        this.#dispatch();
      });
      worker.on('error', (error) => this.#fail(error));
      worker.on('exit', (code) => {
        if (code !== 0) this.#fail(new Error(`A cleaning worker exited with code ${code}.`));
      });
    }
  }

  /** Starts `size` workers with the stage options. */
  static async create(size: number, options: CleanStageOptions): Promise<WorkerPool> {
    const script = await resolveWorkerScript();
    const workers: Worker[] = [];
    for (let index = 0; index < size; index++) {
      workers.push(
        script.kind === 'file'
          ? new Worker(script.url, { workerData: { options } })
          : new Worker(script.code, { eval: true, workerData: { options } }),
      );
    }
    return new WorkerPool(workers);
  }

  /** Processes a batch on the next idle worker. */
  run(items: RawItem[]): Promise<BatchResult> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#queue.push({ id: this.#nextId++, items, resolve, reject });
      this.#dispatch();
    });
  }

  #dispatch(): void {
    while (this.#idle.length > 0 && this.#queue.length > 0) {
      const worker = this.#idle.pop()!;
      const pending = this.#queue.shift()!;
      this.#running.set(worker, pending);
      worker.postMessage({ id: pending.id, items: pending.items });
    }
  }

  #fail(error: Error): void {
    this.#failure ??= new CopyForgeError('CF_INTERNAL', `A cleaning worker crashed: ${error.message}`, {
      cause: error,
    });
    for (const pending of [...this.#running.values(), ...this.#queue.splice(0)]) pending.reject(this.#failure);
    this.#running.clear();
  }

  /** Stops every worker. */
  async close(): Promise<void> {
    this.#failure ??= new CopyForgeError('CF_ABORTED', 'The worker pool was closed.');
    await Promise.all(this.#workers.map((worker) => worker.terminate()));
  }
}
