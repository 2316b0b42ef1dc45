import { existsSync } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { cacheDirectory } from '../core/cache.js';
import { CopyForgeError } from '../core/errors.js';
import { packageRoot } from '../core/package-root.js';
import { runProcess } from './python-env.js';

function nodeLlamaCppDirectory(): string | undefined {
  let directory = packageRoot();
  while (true) {
    const candidate = join(directory, 'node_modules', 'node-llama-cpp');
    if (existsSync(join(candidate, 'llama', 'llama.cpp.info.json'))) return candidate;
    const parent = dirname(directory);
    if (parent === directory) return undefined;
    directory = parent;
  }
}

/**
 * A llama.cpp source folder with `convert_lora_to_gguf.py`, the converter that turns a PEFT
 * adapter into a GGUF adapter llama.cpp loads. `COPYFORGE_LLAMA_CPP_SOURCE` wins; otherwise the
 * exact source node-llama-cpp was built from (its `llama/gitRelease.bundle`, tag in
 * `llama/llama.cpp.info.json`) is cloned once into the cache, so the converter always matches
 * the engine that will load the adapter. Needs git.
 */
export async function ensureLlamaCppSource(options: { signal?: AbortSignal } = {}): Promise<string> {
  const explicit = process.env.COPYFORGE_LLAMA_CPP_SOURCE;
  if (explicit) {
    if (!existsSync(join(explicit, 'convert_lora_to_gguf.py'))) {
      throw new CopyForgeError(
        'CF_TRAINING_ENVIRONMENT',
        `COPYFORGE_LLAMA_CPP_SOURCE is '${explicit}', which has no convert_lora_to_gguf.py.`,
      );
    }
    return explicit;
  }
  const nodeLlamaCpp = nodeLlamaCppDirectory();
  if (!nodeLlamaCpp) {
    throw new CopyForgeError(
      'CF_DEPENDENCY_MISSING',
      'Converting the adapter needs the llama.cpp source that node-llama-cpp ships: npm install node-llama-cpp@3.21.1 ' +
        '(or set COPYFORGE_LLAMA_CPP_SOURCE to a llama.cpp checkout).',
    );
  }
  const info = JSON.parse(await readFile(join(nodeLlamaCpp, 'llama', 'llama.cpp.info.json'), 'utf8')) as {
    tag: string;
  };
  const destination = join(cacheDirectory(), 'llama.cpp', info.tag);
  if (existsSync(join(destination, 'convert_lora_to_gguf.py'))) return destination;
  const bundle = join(nodeLlamaCpp, 'llama', 'gitRelease.bundle');
  const temporary = `${destination}.tmp-${process.pid}`;
  await rm(temporary, { recursive: true, force: true });
  const cloned = await runProcess('git', ['clone', '--quiet', bundle, temporary], { signal: options.signal });
  if (cloned.code !== 0 || !existsSync(join(temporary, 'convert_lora_to_gguf.py'))) {
    await rm(temporary, { recursive: true, force: true });
    if (options.signal?.aborted) {
      throw new CopyForgeError('CF_ABORTED', 'Cancelled while unpacking the llama.cpp source.', {
        cause: options.signal.reason,
      });
    }
    throw new CopyForgeError(
      'CF_TRAINING_ENVIRONMENT',
      `Could not unpack llama.cpp ${info.tag} from ${bundle} (git clone exit ${cloned.code}: ` +
        `${cloned.spawnError?.message ?? cloned.output.trim().slice(-300)}). Is git installed?`,
    );
  }
  await rm(destination, { recursive: true, force: true });
  await rename(temporary, destination);
  return destination;
}
