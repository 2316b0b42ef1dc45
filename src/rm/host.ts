import { CopyForgeError, isCopyForgeError, toCopyForgeError } from '../core/errors.js';
import type { CopyForgeEvents } from '../core/events.js';
import { resolvePlugin, resolveRewardModel } from '../core/spec-host.js';
import { recordSpan } from '../core/telemetry.js';
import { createValidator, escapePointer } from '../core/validation.js';
import type { Creative, Note, RewardScore, ScoredCreative } from '../schemas/types.js';
import type { ModelBackendV1 } from '../spec/model-backend-v1.js';
import type { PluginV1 } from '../spec/plugin-v1.js';
import type { RewardCandidateV1, RewardModelRoleV1, RewardModelV1, RewardScoreV1 } from '../spec/reward-model-v1.js';
import { type BatchRequest, runInProcess, WorkerRunner, withDeadline } from './isolation.js';
import { loadPluginModule } from './load.js';
import { applyPolicy, type PolicyOptions } from './policy.js';

/** Where a reward model runs. `worker` applies to models loaded from a module specifier. */
export type IsolationMode = 'in-process' | 'worker';

/**
 * A reward model to register: an object, a plugin object, a module specifier (package
 * name or path whose default or `plugin` export is a PluginV1), or a specifier with its
 * own isolation mode.
 */
export type RewardModelSource =
  // biome-ignore lint/suspicious/noExplicitAny: any config type is accepted; the host validates it.
  RewardModelV1<any> | PluginV1 | string | { module: string; isolation?: IsolationMode };

/** Options for {@link createRewardModelHost}. */
export interface RewardModelHostOptions {
  /** Reward models and plugins to register, in scoring order. */
  rewardModels: readonly RewardModelSource[];
  /**
   * Config per reward model name, validated against its `configSchema` and frozen.
   * @example { usability: { threshold: 0.6 } }
   */
  configs?: Readonly<Record<string, unknown>>;
  /** Time limit of one batch per reward model. @default 10000 */
  timeoutMs?: number;
  /** Receives `rm.batch-end` and `rm.plugin-error`. */
  events?: CopyForgeEvents;
  /** Isolation of models loaded from module specifiers. @default 'in-process' */
  isolation?: IsolationMode;
  /** Folder that relative specifiers and package names resolve from. @default process.cwd() */
  baseDirectory?: string;
  /** The SDK version plugins' ranges are checked against. @default VERSION */
  sdkVersion?: string;
  /** Policy used by {@link RewardModelHost.scoreAndSelect} when the call gives none. */
  policy?: PolicyOptions;
}

/** A registered reward model, as the host reports it. */
export interface RegisteredRewardModel {
  /** Unique name. */
  name: string;
  /** The model's version. */
  version: string;
  /** Its role in the policy. */
  role: RewardModelRoleV1;
  /** The plugin that contributed it, if any. */
  plugin?: string;
  /** Where it runs. */
  isolation: IsolationMode;
  /** Its validated, frozen config. */
  config: Readonly<Record<string, unknown>>;
}

/** Options of one scoring call. */
export interface ScoreOptions {
  /** The pipeline's backend, for fluency and embeddings. */
  backend?: ModelBackendV1;
  /** Cancels scoring; the call rejects with `CF_ABORTED`. */
  signal?: AbortSignal;
}

/** Scores creatives with every registered reward model and applies the policy. */
export interface RewardModelHost {
  /** What is registered, in scoring order. */
  readonly rewardModels: readonly RegisteredRewardModel[];
  /**
   * Scores one note's creatives with every reward model, concurrently. A model that
   * throws, times out or returns malformed scores yields verdict `unknown` with a coded
   * reason and an `rm.plugin-error` event; it never rejects the call. Returned in input
   * order with `accepted: false` until a policy is applied.
   */
  scoreCandidates(note: Note, candidates: readonly Creative[], options?: ScoreOptions): Promise<ScoredCreative[]>;
  /** {@link applyPolicy} with the registered models' roles. */
  applyPolicy(scored: readonly ScoredCreative[], options?: PolicyOptions): ScoredCreative[];
  /** `scoreCandidates` then `applyPolicy`: sorted, with `accepted` and `rank`. */
  scoreAndSelect(
    note: Note,
    candidates: readonly Creative[],
    options?: ScoreOptions & { policy?: PolicyOptions },
  ): Promise<ScoredCreative[]>;
  /** Stops plugin workers. Safe to call twice. */
  close(): Promise<void>;
}

interface Registration {
  model: RewardModelV1;
  info: RegisteredRewardModel;
  plugin?: PluginV1;
  worker?: WorkerRunner;
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/** The JSON pointer of the first value JSON cannot hold (a function, Symbol, BigInt), or undefined. */
function unclonablePath(value: unknown, path = '', seen = new Set<unknown>()): string | undefined {
  if (typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') return path || '/';
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  for (const key of Reflect.ownKeys(value)) {
    const child = `${path}/${escapePointer(String(key))}`;
    if (typeof key === 'symbol') return child;
    const found = unclonablePath((value as Record<string, unknown>)[key], child, seen);
    if (found) return found;
  }
  return undefined;
}

// Config schemas by the schema object: registering the same reward model in a second host
// reuses the compiled validator (ajv refuses a second schema with the same $id).
const configValidators = new WeakMap<object, (value: unknown) => unknown>();

function validateConfig(model: RewardModelV1, raw: unknown): Readonly<Record<string, unknown>> {
  const bad = unclonablePath(raw);
  if (bad !== undefined) {
    const path = `/configs/${escapePointer(model.name)}${bad === '/' ? '' : bad}`;
    throw new CopyForgeError(
      'CF_INVALID_CONFIG',
      `The config of reward model '${model.name}' holds a value JSON cannot carry at '${path}' (a function, Symbol or BigInt).`,
      {
        issues: [{ path, rule: 'type', message: `'${path}' must be JSON data` }],
        details: { rewardModel: model.name },
      },
    );
  }
  let validate: (value: unknown) => unknown;
  try {
    const schema = model.configSchema as object;
    let cached = configValidators.get(schema);
    if (!cached) {
      cached = createValidator(schema, 'CF_INVALID_CONFIG', `config of reward model '${model.name}'`);
      configValidators.set(schema, cached);
    }
    validate = cached;
    const config = structuredClone(raw ?? {});
    validate(config);
    return deepFreeze(config as Record<string, unknown>);
  } catch (error) {
    if (isCopyForgeError(error, 'CF_INVALID_CONFIG')) {
      // The issues re-rooted under /configs/<name>, their messages naming the same path.
      const prefix = `/configs/${escapePointer(model.name)}`;
      const issues = error.issues.map((issue) => ({
        ...issue,
        path: `${prefix}${issue.path}`,
        message: issue.message.replace(issue.path === '' ? 'the input' : `'${issue.path}'`, `'${prefix}${issue.path}'`),
      }));
      throw new CopyForgeError(
        'CF_INVALID_CONFIG',
        `Invalid config of reward model '${model.name}': ${issues.map((issue) => issue.message).join('; ')}.`,
        { issues, details: { rewardModel: model.name } },
      );
    }
    // ajv could not compile the schema itself.
    throw new CopyForgeError(
      'CF_INVALID_PLUGIN',
      `Reward model '${model.name}' has an invalid configSchema: ${(error as Error).message}`,
      { cause: error },
    );
  }
}

function isPlugin(value: object): value is PluginV1 {
  return 'copyforge' in value || 'rewardModels' in value;
}

function checkScore(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'is not an object';
  const { score, verdict, reasons } = value as Partial<RewardScoreV1>;
  if (typeof score !== 'number' || !Number.isFinite(score) || score < 0 || score > 1) {
    return `has score ${String(score)}, not a number in [0, 1]`;
  }
  if (verdict !== 'pass' && verdict !== 'fail' && verdict !== 'unknown')
    return `has verdict ${JSON.stringify(verdict)}`;
  if (!Array.isArray(reasons)) return 'has no reasons array';
  for (const reason of reasons) {
    const { code, message, span } = (reason ?? {}) as { code?: unknown; message?: unknown; span?: unknown };
    if (typeof code !== 'string' || code === '' || typeof message !== 'string') return 'has a malformed reason';
    if (span !== undefined && typeof span !== 'string') return 'has a reason with a non-string span';
  }
  return undefined;
}

function toCandidate(creative: Creative): RewardCandidateV1 {
  return {
    id: creative.id,
    title: creative.title,
    style: creative.style,
    promotionTarget: creative.controls?.promotionTarget,
  };
}

function hostOptionError(path: string, message: string): CopyForgeError {
  return new CopyForgeError('CF_INVALID_CONFIG', `'${path.slice(1)}' ${message}`, {
    issues: [{ path, rule: 'type', message: `'${path}' ${message}` }],
  });
}

const isolationModes: readonly IsolationMode[] = ['in-process', 'worker'];

/** The host's own options, before anything is loaded: `CF_INVALID_CONFIG` naming the option. */
function checkHostOptions(options: RewardModelHostOptions): void {
  if (typeof options !== 'object' || options === null) throw hostOptionError('/', 'must be an options object');
  const { timeoutMs, rewardModels, isolation, configs } = options;
  // setTimeout clamps anything above 2^31 - 1 ms to 1 ms.
  if (timeoutMs !== undefined && !(Number.isFinite(timeoutMs) && timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1)) {
    throw hostOptionError('/timeoutMs', `must be a number in (0, 2147483647], got ${String(timeoutMs)}`);
  }
  if (!Array.isArray(rewardModels)) {
    throw hostOptionError(
      '/rewardModels',
      `must be an array of reward models, plugins or module specifiers, got ${rewardModels === null ? 'null' : typeof rewardModels}`,
    );
  }
  if (isolation !== undefined && !isolationModes.includes(isolation)) {
    throw hostOptionError('/isolation', `must be 'in-process' or 'worker', got ${String(isolation)}`);
  }
  if (configs !== undefined && (typeof configs !== 'object' || configs === null || Array.isArray(configs))) {
    throw hostOptionError('/configs', 'must be an object of configs by reward-model name');
  }
  rewardModels.forEach((source: unknown, index) => {
    const path = `/rewardModels/${index}`;
    if (typeof source === 'string') {
      if (source.trim() === '') throw hostOptionError(path, 'must not be an empty specifier');
      return;
    }
    if (typeof source !== 'object' || source === null) {
      throw hostOptionError(
        path,
        `must be a reward model, a plugin or a module specifier, got ${source === null ? 'null' : typeof source}`,
      );
    }
    if ('module' in source) {
      const entry = source as { module: unknown; isolation?: unknown };
      if (typeof entry.module !== 'string' || entry.module.trim() === '')
        throw hostOptionError(`${path}/module`, 'must be a module specifier');
      if (entry.isolation !== undefined && !isolationModes.includes(entry.isolation as IsolationMode)) {
        throw hostOptionError(`${path}/isolation`, `must be 'in-process' or 'worker', got ${String(entry.isolation)}`);
      }
    }
  });
}

/**
 * Registers reward models (objects, plugins or module specifiers) and returns a host
 * that scores candidates under isolation and applies the acceptance policy. Every
 * check happens here, before first use: contract version, the plugin's semver range,
 * duplicate names, and each config against its `configSchema` (`CF_INVALID_CONFIG`
 * naming the field).
 *
 * @example
 * const host = await createRewardModelHost({
 *   rewardModels: [createUsabilityRewardModel(), '@copyforge/plugin-compliance'],
 *   configs: { usability: { threshold: 0.6 } },
 *   timeoutMs: 5000,
 * });
 * const ranked = await host.scoreAndSelect(note, creatives, { backend, policy: { topK: 3 } });
 */
export async function createRewardModelHost(options: RewardModelHostOptions): Promise<RewardModelHost> {
  checkHostOptions(options);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const registrations: Registration[] = [];
  const add = (model: RewardModelV1, isolation: IsolationMode, plugin?: PluginV1, worker?: WorkerRunner) => {
    resolveRewardModel(model);
    if (registrations.some((registration) => registration.model.name === model.name)) {
      throw new CopyForgeError(
        'CF_DUPLICATE_REGISTRATION',
        `A reward model named '${model.name}' is already registered.`,
        {
          details: { rewardModel: model.name },
        },
      );
    }
    // Own properties only: a model named 'toString' must not get Object.prototype.toString as its config.
    const configs = options.configs ?? {};
    const config = validateConfig(model, Object.hasOwn(configs, model.name) ? configs[model.name] : undefined);
    registrations.push({
      model,
      plugin,
      worker,
      info: {
        name: model.name,
        version: model.version,
        role: model.role ?? 'custom',
        plugin: plugin?.name,
        isolation,
        config,
      },
    });
  };

  for (const source of options.rewardModels) {
    if (typeof source === 'string' || (typeof source === 'object' && source !== null && 'module' in source)) {
      const specifier = typeof source === 'string' ? source : source.module;
      const isolation =
        (typeof source === 'object' ? source.isolation : undefined) ?? options.isolation ?? 'in-process';
      const { plugin, url } = await loadPluginModule(specifier, {
        baseDirectory: options.baseDirectory,
        sdkVersion: options.sdkVersion,
      });
      // One worker per reward model, so one model spinning cannot starve its siblings.
      for (const model of plugin.rewardModels ?? []) {
        add(model, isolation, plugin, isolation === 'worker' ? new WorkerRunner(url) : undefined);
      }
    } else if (typeof source === 'object' && source !== null && isPlugin(source)) {
      const plugin = resolvePlugin(source, options.sdkVersion);
      for (const model of plugin.rewardModels ?? []) add(model, 'in-process', plugin);
    } else {
      add(resolveRewardModel(source), 'in-process');
    }
  }
  for (const name of Object.keys(options.configs ?? {})) {
    if (!registrations.some((registration) => registration.model.name === name)) {
      throw new CopyForgeError('CF_INVALID_CONFIG', `'configs.${name}' names no registered reward model.`, {
        issues: [{ path: `/configs/${name}`, rule: 'unknown', message: `'/configs/${name}' names no reward model` }],
      });
    }
  }

  // Plugins' init runs once, lazily, before their first batch; a failure is retried next batch.
  const initialised = new Map<PluginV1, Promise<void>>();
  const ensureInit = (plugin: PluginV1 | undefined, inWorker: boolean): Promise<void> => {
    if (!plugin?.init || inWorker) return Promise.resolve();
    let promise = initialised.get(plugin);
    if (!promise) {
      promise = Promise.resolve().then(() => plugin.init?.());
      promise.catch(() => initialised.delete(plugin));
      initialised.set(plugin, promise);
    }
    return promise;
  };

  const roles = Object.fromEntries(registrations.map(({ info }) => [info.name, info.role]));

  async function scoreWith(
    registration: Registration,
    note: Note,
    candidates: RewardCandidateV1[],
    scoreOptions: ScoreOptions,
  ): Promise<RewardScore[]> {
    const { model, info } = registration;
    const started = performance.now();
    const unknown = (error: CopyForgeError): RewardScore[] => {
      options.events?.emit('rm.plugin-error', { rewardModel: info.name, code: error.code, message: error.message });
      return candidates.map(() => ({
        rewardModel: info.name,
        version: info.version,
        score: 0,
        verdict: 'unknown',
        reasons: [{ code: error.code, message: error.message }],
      }));
    };
    const request: BatchRequest = {
      candidates,
      note,
      config: info.config,
      backend: scoreOptions.backend,
      signal: scoreOptions.signal,
      timeoutMs,
    };
    let raw: unknown;
    try {
      raw = await recordSpan(
        {
          name: 'copyforge.rm.batch',
          attributes: { 'copyforge.rm.name': info.name, 'copyforge.rm.candidates': candidates.length },
        },
        async () => {
          // init() is bounded like a batch: a plugin whose init never settles times out, it does not hang scoring.
          await withDeadline(
            ensureInit(registration.plugin, registration.worker !== undefined),
            request,
            info.name,
            () => {},
          );
          return registration.worker ? registration.worker.run(model.name, request) : runInProcess(model, request);
        },
      );
    } catch (error) {
      if (scoreOptions.signal?.aborted) throw toCopyForgeError(error);
      const coded = isCopyForgeError(error)
        ? error
        : new CopyForgeError(
            'CF_REWARD_MODEL_FAILED',
            `Reward model '${info.name}' threw: ${(error as Error)?.message ?? String(error)}`,
            { cause: error },
          );
      return unknown(coded);
    } finally {
      options.events?.emit('rm.batch-end', {
        rewardModel: info.name,
        noteId: note.id,
        candidates: candidates.length,
        durationMs: performance.now() - started,
      });
    }
    if (!Array.isArray(raw) || raw.length !== candidates.length) {
      const got = Array.isArray(raw) ? `${raw.length} scores` : typeof raw;
      return unknown(
        new CopyForgeError(
          'CF_REWARD_MODEL_FAILED',
          `Reward model '${info.name}' returned ${got} for ${candidates.length} candidates.`,
        ),
      );
    }
    const problems: string[] = [];
    // Array.from visits holes (a sparse array's missing scores are malformed, not skipped).
    const scores = Array.from(raw as unknown[], (value: unknown, index): RewardScore => {
      let problem: string | undefined;
      let copy: RewardScoreV1 | undefined;
      try {
        problem = checkScore(value);
        // Read once into plain data: a getter cannot answer differently later or throw downstream.
        if (!problem) copy = structuredClone(value) as RewardScoreV1;
      } catch (error) {
        problem = `cannot be read (${(error as Error)?.message ?? String(error)})`;
      }
      if (problem) {
        problems.push(`#${index} ${problem}`);
        return {
          rewardModel: info.name,
          version: info.version,
          score: 0,
          verdict: 'unknown',
          reasons: [{ code: 'CF_REWARD_MODEL_FAILED', message: `Malformed score: ${problem}.` }],
        };
      }
      const score = copy as RewardScoreV1;
      return {
        rewardModel: info.name,
        version: info.version,
        score: score.score,
        verdict: score.verdict,
        reasons: score.reasons.map(({ code, message, span }) =>
          span === undefined ? { code, message } : { code, message, span },
        ),
      };
    });
    if (problems.length > 0) {
      options.events?.emit('rm.plugin-error', {
        rewardModel: info.name,
        code: 'CF_REWARD_MODEL_FAILED',
        message: `Reward model '${info.name}' returned malformed scores: ${problems.slice(0, 3).join('; ')}.`,
      });
    }
    return scores;
  }

  const host: RewardModelHost = {
    rewardModels: registrations.map((registration) => registration.info),
    async scoreCandidates(note, creatives, scoreOptions = {}) {
      if (scoreOptions.signal?.aborted) {
        throw new CopyForgeError('CF_ABORTED', 'Scoring was aborted.', { cause: scoreOptions.signal.reason });
      }
      // Each model gets its own frozen copy: one that mutates its candidates (splice, edits)
      // fails alone instead of changing what the others score.
      const perModel = await Promise.all(
        registrations.map((registration) =>
          creatives.length === 0
            ? []
            : scoreWith(
                registration,
                note,
                Object.freeze(creatives.map((creative) => Object.freeze(toCandidate(creative)))) as RewardCandidateV1[],
                scoreOptions,
              ),
        ),
      );
      return creatives.map((creative, index) => ({
        creative,
        scores: perModel.map((scores) => scores[index] as RewardScore),
        accepted: false,
      }));
    },
    applyPolicy(scored, policy = options.policy ?? {}) {
      return applyPolicy(scored, { ...policy, roles: { ...roles, ...policy.roles } });
    },
    async scoreAndSelect(note, creatives, scoreOptions = {}) {
      const scored = await host.scoreCandidates(note, creatives, scoreOptions);
      return host.applyPolicy(scored, scoreOptions.policy ?? options.policy);
    },
    async close() {
      const workers = new Set(
        registrations.flatMap((registration) => (registration.worker ? [registration.worker] : [])),
      );
      await Promise.all([...workers].map((worker) => worker.close()));
    },
  };
  return host;
}
