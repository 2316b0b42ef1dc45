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
