import { readFile } from 'node:fs/promises';
import { type LlamaCppBackend, llamaCppBackend } from '../backends/llama-cpp/llama-cpp-backend.js';
import { CopyForgeError } from '../core/errors.js';
import { resolveBackend } from '../core/spec-host.js';
import { createAttractivenessRewardModel, parseAttractivenessWeights } from '../rm/attractiveness/model.js';
import type { RewardModelSource } from '../rm/host.js';
import { createUsabilityRewardModel, parseUsabilityWeights } from '../rm/usability/model.js';
import type { ModelBackendV1 } from '../spec/model-backend-v1.js';
import type { CommandValues } from './command.js';
import { createProgress } from './progress.js';

/** A string flag, or undefined. */
export function stringOption(values: CommandValues, name: string): string | undefined {
  const value = values[name];
  return typeof value === 'string' ? value : undefined;
}

/** A numeric flag; `CF_INVALID_CONFIG` naming the flag when it is not a number. */
export function numberOption(values: CommandValues, name: string): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isFinite(value)) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `--${name} must be a number, got '${text}'.`, {
      issues: [{ path: `/${name}`, rule: 'type', message: `'--${name}' must be a number` }],
    });
  }
  return value;
}

/** Reads and parses a JSON file with coded errors. */
export async function readJsonFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CopyForgeError('CF_INPUT_READ_FAILED', `Cannot read '${path}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new CopyForgeError('CF_INVALID_JSON', `'${path}' is not JSON: ${(error as Error).message}`, { cause: error });
  }
}

/**
 * Reward models named by repeated `--rm` flags: `usability`, `attractiveness` (with
 * `--attractiveness-weights`), a package name or a path; `none` for no reward model.
 */
export async function buildRewardModelSources(
  values: CommandValues,
  defaults: readonly string[] = ['usability'],
): Promise<RewardModelSource[]> {
  const names = Array.isArray(values.rm) ? values.rm.map(String) : [...defaults];
  if (names.includes('none')) return [];
  const sources: RewardModelSource[] = [];
  for (const name of names) {
    if (name === 'usability') {
      const path = stringOption(values, 'usability-weights');
      sources.push(
        createUsabilityRewardModel(path ? { weights: parseUsabilityWeights(await readJsonFile(path)) } : {}),
      );
    } else if (name === 'attractiveness') {
      const path = stringOption(values, 'attractiveness-weights');
      if (!path) {
        throw new CopyForgeError('CF_INVALID_CONFIG', '--rm attractiveness needs --attractiveness-weights <file>.', {
          issues: [
            { path: '/attractiveness-weights', rule: 'required', message: "'--attractiveness-weights' is required" },
          ],
        });
      }
      sources.push(createAttractivenessRewardModel({ weights: parseAttractivenessWeights(await readJsonFile(path)) }));
    } else {
      sources.push(name);
    }
  }
  return sources;
}

/** Options shared by commands that load the model. */
export const backendOptions = {
  backend: { type: 'string' },
  'base-url': { type: 'string' },
  'api-key-env': { type: 'string' },
  'backend-options': { type: 'string' },
  model: { type: 'string' },
  threads: { type: 'string' },
  sequences: { type: 'string' },
  'context-size': { type: 'string' },
  lora: { type: 'string', multiple: true },
  'no-default-adapter': { type: 'boolean' },
} as const;

/** Help text for {@link backendOptions}, for each command's usage. */
export const backendUsage = [
  'Model backend (default: llama-cpp, the default model in-process with the shipped title adapter):',
  '  --backend llama-cpp|openai-compatible|<plugin>[#id]   or $COPYFORGE_BACKEND',
  '  llama-cpp:          [--model file.gguf] [--threads N] [--sequences 2] [--context-size 2048]',
  '                      [--lora adapter.gguf ...] [--no-default-adapter]',
  '  openai-compatible:  --base-url http://host:8080/v1 ($COPYFORGE_BASE_URL) [--model name]',
  '                      [--api-key-env NAME: the API key is read from $NAME, default $COPYFORGE_API_KEY]',
  '                      [--sequences N: concurrent requests]',
  '  <plugin>[#id]:      a plugin package or path whose `backends` has that factory (the only one',
  '                      when #id is left out); it gets --backend-options JSON plus --model, --base-url.',
].join('\n');

/** A model backend the CLI created; `dispose`, when it has one, releases it. */
export type CliBackend = ModelBackendV1 & Partial<Pick<LlamaCppBackend, 'modelPath' | 'threads'>>;

function configError(flag: string, message: string): CopyForgeError {
  return new CopyForgeError('CF_INVALID_CONFIG', message, {
    issues: [{ path: `/${flag}`, rule: 'format', message: `'--${flag}': ${message}` }],
  });
}

/** Flags that only a local model takes. */
const localOnlyFlags = ['threads', 'context-size', 'lora', 'no-default-adapter'] as const;

/**
 * Creates the backend the flags name: `--backend llama-cpp` (the default), `openai-compatible`
 * (any server speaking the OpenAI chat API: llama-server, vLLM, …), or a plugin's backend
 * factory. Flags that do not apply to the chosen backend are refused, not ignored.
 */
export async function createBackendFromOptions(values: CommandValues): Promise<CliBackend> {
  const kind = stringOption(values, 'backend') ?? process.env.COPYFORGE_BACKEND ?? 'llama-cpp';
  if (kind === 'llama-cpp') {
    for (const flag of ['base-url', 'api-key-env', 'backend-options'] as const) {
      if (values[flag] !== undefined)
        throw configError(flag, `--${flag} needs --backend openai-compatible or a plugin.`);
    }
    return createLlamaCppFromOptions(values);
  }
  for (const flag of localOnlyFlags) {
    if (values[flag] !== undefined) {
      throw configError(flag, `--${flag} applies to a local model (--backend llama-cpp), not to --backend ${kind}.`);
    }
  }
  const baseURL = stringOption(values, 'base-url') ?? process.env.COPYFORGE_BASE_URL;
  const model = stringOption(values, 'model');
  const keyVariable = stringOption(values, 'api-key-env');
  if (keyVariable !== undefined && !process.env[keyVariable]) {
    throw configError('api-key-env', `the environment variable ${keyVariable} (named by --api-key-env) is not set.`);
  }
  const apiKey = process.env[keyVariable ?? 'COPYFORGE_API_KEY'] || undefined;
  const sequences = numberOption(values, 'sequences');
  if (kind === 'openai-compatible') {
    if (values['backend-options'] !== undefined) {
      throw configError('backend-options', '--backend-options is for plugin backends.');
    }
    if (!baseURL) {
      throw configError('base-url', '--backend openai-compatible needs --base-url (or COPYFORGE_BASE_URL).');
    }
    const { openAICompatibleBackend } = await import('../backends/openai-compatible/openai-compatible-backend.js');
    return openAICompatibleBackend({
      baseURL,
      ...(model ? { model } : {}),
      ...(apiKey ? { apiKey } : {}),
      ...(sequences !== undefined ? { concurrency: sequences } : {}),
    });
  }
  return createPluginBackend(kind, {
    baseURL,
    model,
    apiKey,
    sequences,
    json: stringOption(values, 'backend-options'),
  });
}

async function createPluginBackend(
  specifier: string,
  given: { baseURL?: string; model?: string; apiKey?: string; sequences?: number; json?: string },
): Promise<CliBackend> {
  const hash = specifier.lastIndexOf('#');
  const moduleName = hash > 0 ? specifier.slice(0, hash) : specifier;
  const wanted = hash > 0 ? specifier.slice(hash + 1) : undefined;
  const [{ loadPluginModule }, { VERSION }] = await Promise.all([import('../rm/load.js'), import('../version.js')]);
  const { plugin } = await loadPluginModule(moduleName, { sdkVersion: VERSION });
  const factories = plugin.backends ?? {};
  const ids = Object.keys(factories);
  const id = wanted ?? (ids.length === 1 ? ids[0] : undefined);
  if (id === undefined || !Object.hasOwn(factories, id) || typeof factories[id] !== 'function') {
    throw configError(
      'backend',
      ids.length === 0
        ? `plugin '${plugin.name}' contributes no backends (its 'backends' is empty).`
        : `plugin '${plugin.name}' has backends ${ids.map((name) => `'${name}'`).join(', ')}; ` +
            `name one as --backend ${moduleName}#<id>.`,
    );
  }
  let extra: Record<string, unknown> = {};
  if (given.json !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(given.json);
    } catch (error) {
      throw configError('backend-options', `--backend-options is not JSON: ${(error as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw configError('backend-options', '--backend-options must be a JSON object.');
    }
    extra = parsed as Record<string, unknown>;
  }
  const options: Record<string, unknown> = {
    ...extra,
    ...(given.baseURL ? { baseURL: given.baseURL } : {}),
    ...(given.model ? { model: given.model } : {}),
    ...(given.apiKey ? { apiKey: given.apiKey } : {}),
    ...(given.sequences !== undefined ? { concurrency: given.sequences } : {}),
  };
  const factory = factories[id] as (options: Record<string, unknown>) => unknown;
  const created = await Promise.resolve()
    .then(() => factory(options))
    .catch((error: unknown) => {
      throw new CopyForgeError(
        'CF_INVALID_PLUGIN',
        `Backend '${id}' of plugin '${plugin.name}' failed to start: ${(error as Error)?.message ?? String(error)}`,
        { cause: error },
      );
    });
  return resolveBackend(created);
}

/** Loads the llama.cpp backend from `--model` (or the default model) with a download progress line. */
async function createLlamaCppFromOptions(values: CommandValues): Promise<LlamaCppBackend> {
  const quiet = values.quiet === true;
  const progress = createProgress({ unit: 'MB', quiet });
  let lastMegabytes = 0;
  const backend = await llamaCppBackend({
    ...(stringOption(values, 'model') ? { modelPath: stringOption(values, 'model') } : { model: 'default' as const }),
    threads: numberOption(values, 'threads'),
    sequences: numberOption(values, 'sequences') ?? 2,
    contextSize: numberOption(values, 'context-size') ?? 2048,
    // Fluency scores for the usability RM: exact maps over Gemma's 262k vocabulary cost up to
    // 0.5 s per token and time the RM out; the top 40 tokens are enough to rank titles.
    scoreTopK: 40,
    // --lora (repeatable) replaces the shipped title adapter; --no-default-adapter runs the bare model.
    ...(Array.isArray(values.lora) && values.lora.length > 0
      ? { lora: values.lora.map((path) => ({ path: String(path) })) }
      : {}),
    defaultAdapter: values['no-default-adapter'] !== true,
    onDownloadProgress: ({ source, downloadedBytes, totalBytes }) => {
      const megabytes = Math.floor(downloadedBytes / 1e6);
      const total = totalBytes ? ` of ${Math.round(totalBytes / 1e6)} MB` : '';
      progress.tick(megabytes - lastMegabytes, `from ${source}${total}`);
      lastMegabytes = megabytes;
    },
  });
  if (lastMegabytes > 0) progress.done();
  return backend;
}
