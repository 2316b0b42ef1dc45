import { dirname, resolve } from 'node:path';
import { validateWorkerConfig } from '../core/validation.js';
import { isPathSpecifier } from '../rm/load.js';
import type { WorkerConfig } from '../schemas/types.js';
import type { CommandValues } from './command.js';
import { readJsonFile } from './options.js';

/** Reads and validates a worker config file (`CF_INVALID_CONFIG` naming the field). */
export async function loadWorkerConfig(path: string): Promise<WorkerConfig> {
  return validateWorkerConfig(await readJsonFile(path));
}

/**
 * The command-line flags a worker config stands for, so the file and the flags share one
 * path: `{ ...workerConfigFlags(config, dir), ...flags }`. The environment wins over the
 * file — `KAFKA_BROKERS` over `brokers`, `COPYFORGE_BACKEND` and `COPYFORGE_BASE_URL` over
 * `backend.type` and `backend.baseUrl` — and relative paths resolve against `baseDirectory`.
 */
export function workerConfigFlags(
  config: WorkerConfig,
  baseDirectory: string,
  env: NodeJS.ProcessEnv = process.env,
): CommandValues {
  const path = (value: string) => resolve(baseDirectory, value);
  const specifier = (value: string) => (isPathSpecifier(value) ? path(value) : value);
  const backend = config.backend ?? {};
  const backendType = env.COPYFORGE_BACKEND || backend.type;
  const local = (backendType ?? 'llama-cpp') === 'llama-cpp';
  const flags: CommandValues = {};
  const set = (name: string, value: string | boolean | string[] | undefined) => {
    if (value !== undefined) flags[name] = value;
  };
  set('brokers', env.KAFKA_BROKERS || config.brokers?.join(','));
  set('group-id', config.groupId);
  set('input-topic', config.inputTopic);
  set('output-topic', config.outputTopic);
  set('dead-letter-topic', config.deadLetterTopic);
  if (config.delivery === 'exactly-once') set('exactly-once', true);
  set('max-in-flight', config.maxInFlight?.toString());
  set('titles', config.titles?.toString());
  set('rm', config.rewardModels?.map(specifier));
  set('usability-weights', config.usabilityWeights && path(config.usabilityWeights));
  set('attractiveness-weights', config.attractivenessWeights && path(config.attractivenessWeights));
  // The backend type is left to the environment when it names one (createBackendFromOptions reads it).
  if (!env.COPYFORGE_BACKEND) set('backend', backend.type && specifier(backend.type));
  // A local model is a file; a served model is a name.
  set('model', backend.model && (local ? path(backend.model) : backend.model));
  if (!env.COPYFORGE_BASE_URL) set('base-url', backend.baseUrl);
  set('api-key-env', backend.apiKeyEnv);
  set('sequences', backend.sequences?.toString());
  set('threads', backend.threads?.toString());
  set('context-size', backend.contextSize?.toString());
  set('lora', backend.lora?.map(path));
  if (backend.defaultAdapter === false) set('no-default-adapter', true);
  if (backend.options) set('backend-options', JSON.stringify(backend.options));
  return flags;
}

/** The flags of `--config <file>` (none without it), for {@link workerConfigFlags}. */
export async function workerConfigFromFlag(configPath: string | undefined): Promise<CommandValues> {
  if (configPath === undefined) return {};
  const config = await loadWorkerConfig(configPath);
  return workerConfigFlags(config, dirname(resolve(configPath)));
}
