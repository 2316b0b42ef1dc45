import { availableParallelism, loadavg } from 'node:os';
import { CopyForgeError } from '../../core/errors.js';

/**
 * How many CPU threads a local model decodes with, and why.
 *
 * llama.cpp's threads spin-wait for each other: two model processes that together ask for
 * more threads than there are cores do not share the cores, they collapse
 * (`bench/results/threads.md`: on 2 vCPUs two processes of 2 threads decoded 3.9 tokens/s
 * together, two of 1 thread 115). The rule: **threads = cores ÷ model processes on the
 * machine, less one for Node's own thread** (at least 1): alone on 2 vCPUs, 1 thread decoded
 * 62 tokens/s and 2 threads 55. The default assumes one model process; say how many share
 * the machine with `COPYFORGE_MODEL_PROCESSES`, or set `COPYFORGE_THREADS` or the `threads`
 * option outright.
 */
export interface ThreadChoice {
  /** Threads the engine decodes with. */
  threads: number;
  /** Where the number came from. */
  source: 'option' | 'COPYFORGE_THREADS' | 'default';
  /** Cores of this machine (`os.availableParallelism()`). */
  cores: number;
  /** Model processes the default divides the cores by (`COPYFORGE_MODEL_PROCESSES`, else 1). */
  modelProcesses: number;
  /** Cores not busy when the choice was made: cores minus the 1-minute load average, at least 0. */
  freeCores: number;
  /** More threads than free cores: decoding will likely be many times slower than it could be. */
  oversubscribed: boolean;
}

function positiveInteger(name: string, raw: string): number {
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `${name} must be a positive integer, got '${raw}'.`, {
      issues: [{ path: `/env/${name}`, rule: 'minimum', message: `${name} must be a positive integer` }],
    });
  }
  return value;
}

/**
 * Chooses the decoding threads: the `requested` option, else `COPYFORGE_THREADS`, else
 * cores ÷ `COPYFORGE_MODEL_PROCESSES` (default 1) less one for Node's thread, at least 1.
 */
export function chooseThreads(
  requested?: number,
  environment: NodeJS.ProcessEnv = process.env,
  machine: { cores?: number; load?: number } = {},
): ThreadChoice {
  const cores = machine.cores ?? availableParallelism();
  const load = machine.load ?? loadavg()[0] ?? 0;
  const modelProcesses = environment.COPYFORGE_MODEL_PROCESSES
    ? positiveInteger('COPYFORGE_MODEL_PROCESSES', environment.COPYFORGE_MODEL_PROCESSES)
    : 1;
  const fromEnvironment = environment.COPYFORGE_THREADS
    ? positiveInteger('COPYFORGE_THREADS', environment.COPYFORGE_THREADS)
    : undefined;
  const threads = requested ?? fromEnvironment ?? Math.max(1, Math.floor(cores / modelProcesses) - 1);
  const source = requested !== undefined ? 'option' : fromEnvironment !== undefined ? 'COPYFORGE_THREADS' : 'default';
  const freeCores = Math.max(0, Math.round(cores - load));
  return { threads, source, cores, modelProcesses, freeCores, oversubscribed: threads > Math.max(1, freeCores) };
}

let warned = false;

/**
 * Warns once per process (`process.emitWarning`, code `COPYFORGE_THREADS_OVERSUBSCRIBED`)
 * when the threads exceed the free cores. Returns whether it warned.
 */
export function warnIfOversubscribed(choice: ThreadChoice): boolean {
  if (!choice.oversubscribed || warned || process.env.COPYFORGE_NO_THREAD_WARNING) return false;
  warned = true;
  process.emitWarning(
    `llama.cpp will decode with ${choice.threads} threads but only ${choice.freeCores} of ${choice.cores} cores are ` +
      'free (1-minute load average). Its threads spin-wait, so sharing cores with another model process can make ' +
      'decoding many times slower: use threads = cores ÷ model processes (COPYFORGE_MODEL_PROCESSES, COPYFORGE_THREADS ' +
      'or the threads option). Set COPYFORGE_NO_THREAD_WARNING=1 to silence this.',
    { code: 'COPYFORGE_THREADS_OVERSUBSCRIBED' },
  );
  return true;
}
