import { CopyForgeError } from '../../core/errors.js';

/** The node-llama-cpp module, loaded on demand. */
export type NodeLlamaCppModule = typeof import('node-llama-cpp');

let loading: Promise<NodeLlamaCppModule> | undefined;

/**
 * Loads node-llama-cpp with `import()` (it is ESM-only, and optional), once. Throws
 * `CF_DEPENDENCY_MISSING` with the install command when it is missing.
 */
export function loadNodeLlamaCpp(): Promise<NodeLlamaCppModule> {
  loading ??= import('node-llama-cpp').catch((error: unknown) => {
    loading = undefined;
    throw new CopyForgeError(
      'CF_DEPENDENCY_MISSING',
      'The llama.cpp backend needs node-llama-cpp: npm install node-llama-cpp@3.21.1',
      { cause: error },
    );
  });
  return loading;
}

/** Settings that select a shared `Llama`. */
export interface SharedLlamaOptions {
  gpu: 'auto' | false | 'cuda' | 'vulkan' | 'metal';
  build: 'never' | 'auto' | 'try';
  maxThreads: number;
}

// llama.cpp's addon keeps one backend and one log callback per process, so backends share
// one Llama per setting instead of each creating (and disposing) its own.
// Kept on globalThis, not in this module: node-llama-cpp can hand back a Llama created by
// another copy of this module (the ESM and CJS builds in one process, or a test runner that
// re-evaluates modules per file), and that Llama's logger writes to the first copy's buffer.
interface SharedLlamaState {
  llamas: Map<string, Promise<import('node-llama-cpp').Llama>>;
  recentLog: { index: number; line: string }[];
  logCount: number;
}
const stateKey = Symbol.for('copyforge.llama-cpp.shared-state');
const globals = globalThis as Record<symbol, SharedLlamaState | undefined>;
if (!globals[stateKey]) globals[stateKey] = { llamas: new Map(), recentLog: [], logCount: 0 };
const state = globals[stateKey];
const { llamas, recentLog } = state;

/** The process's `Llama` for these settings; llama.cpp's log lines go to {@link llamaLogSince}. */
export function getSharedLlama(options: SharedLlamaOptions): Promise<import('node-llama-cpp').Llama> {
  const key = JSON.stringify([options.gpu, options.build, options.maxThreads]);
  let llama = llamas.get(key);
  if (!llama) {
    llama = loadNodeLlamaCpp().then((nodeLlamaCpp) =>
      nodeLlamaCpp.getLlama({
        ...options,
        logLevel: nodeLlamaCpp.LlamaLogLevel.error,
        progressLogs: false,
        logger: (level, message) => {
          const line = message.trim();
          if (line === '') return;
          recentLog.push({ index: state.logCount++, line });
          if (recentLog.length > 16) recentLog.shift();
          if (level === nodeLlamaCpp.LlamaLogLevel.error || level === nodeLlamaCpp.LlamaLogLevel.fatal) {
            console.error(line);
          }
        },
      }),
    );
    llama.catch(() => llamas.delete(key));
    llamas.set(key, llama);
  }
  return llama;
}

/** A position in llama.cpp's log, for {@link llamaLogSince}. */
export function llamaLogMark(): number {
  return state.logCount;
}

/**
 * ` (llama.cpp: …)` with the last lines logged since `mark`, or `''`. llama.cpp says why a
 * load failed only in its log, which reaches JavaScript asynchronously, sometimes after the
 * failure: on this error path, wait up to 1 s for it (200 ms was not enough on a loaded 2-core
 * machine running a model server beside the tests).
 */
export async function llamaLogSince(mark: number): Promise<string> {
  const since = () => recentLog.filter((entry) => entry.index >= mark).map((entry) => entry.line);
  for (let waited = 0; since().length === 0 && waited < 1000; waited += 10) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  await new Promise((resolve) => setTimeout(resolve, 10));
  const lines = since();
  return lines.length > 0 ? ` (llama.cpp: ${lines.slice(-3).join(' | ')})` : '';
}
