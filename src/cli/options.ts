import { readFile } from 'node:fs/promises';
import { type LlamaCppBackend, llamaCppBackend } from '../backends/llama-cpp/llama-cpp-backend.js';
import { CopyForgeError } from '../core/errors.js';
import { createAttractivenessRewardModel, parseAttractivenessWeights } from '../rm/attractiveness/model.js';
import type { RewardModelSource } from '../rm/host.js';
import { createUsabilityRewardModel, parseUsabilityWeights } from '../rm/usability/model.js';
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
  model: { type: 'string' },
  threads: { type: 'string' },
  sequences: { type: 'string' },
  'context-size': { type: 'string' },
  lora: { type: 'string', multiple: true },
  'no-default-adapter': { type: 'boolean' },
} as const;

/** Loads the llama.cpp backend from `--model` (or the default model) with a download progress line. */
export async function createBackendFromOptions(values: CommandValues): Promise<LlamaCppBackend> {
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
