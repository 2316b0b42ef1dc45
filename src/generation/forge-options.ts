import { CopyForgeError } from '../core/errors.js';
import { resolveBackend } from '../core/spec-host.js';

// One check of the forge's options, at construction (and of each call's controls before
// the backend is called), so a wrong option is a non-retriable CF_INVALID_CONFIG naming it
// — not a raw TypeError, and not a retriable failure a Kafka worker would retry.

function invalid(path: string, rule: string, message: string): CopyForgeError {
  return new CopyForgeError('CF_INVALID_CONFIG', `'${path.slice(1)}' ${message}`, {
    issues: [{ path, rule, message: `'${path}' ${message}` }],
  });
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function integer(value: unknown, path: string, minimum: number, maximum: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < minimum || value > maximum) {
    throw invalid(path, 'range', `must be an integer in ${minimum}..${maximum}, got ${describe(value)}`);
  }
}

function finite(value: unknown, path: string, minimum: number, maximum: number): void {
  if (value === undefined) return;
  if (typeof value !== 'number' || !Number.isFinite(value) || value < minimum || value > maximum) {
    throw invalid(path, 'range', `must be a number in ${minimum}..${maximum}, got ${describe(value)}`);
  }
}

function oneOf(value: unknown, path: string, allowed: readonly string[]): void {
  if (value === undefined) return;
  if (typeof value !== 'string' || !allowed.includes(value)) {
    throw invalid(
      path,
      'enum',
      `must be one of ${allowed.map((entry) => `'${entry}'`).join(', ')}, got ${describe(value)}`,
    );
  }
}

function nonEmptyStrings(value: unknown, path: string): void {
  if (value === undefined) return;
  if (!Array.isArray(value) || value.length === 0) throw invalid(path, 'type', `must be a non-empty array of strings`);
  value.forEach((entry, index) => {
    if (typeof entry !== 'string' || entry.trim() === '') {
      throw invalid(`${path}/${index}`, 'type', `must be a non-empty string, got ${describe(entry)}`);
    }
  });
}

function describe(value: unknown): string {
  if (typeof value === 'string') return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null || value === undefined) {
    return String(value);
  }
  return Array.isArray(value) ? 'an array' : typeof value;
}

const samplingNumbers: Record<string, [number, number]> = {
  temperature: [0, 10],
  topP: [0, 1],
  topK: [0, 1_000_000],
  minP: [0, 1],
  repeatPenalty: [0, 10],
  presencePenalty: [-10, 10],
  frequencyPenalty: [-10, 10],
  repeatLastTokens: [0, 1_000_000],
};

/** Checks {@link ForgeOptions} once, at construction; throws `CF_INVALID_CONFIG` naming the option. */
export function checkForgeOptions(options: unknown): void {
  if (!isObject(options)) throw invalid('/', 'type', `createForge options must be an object, got ${describe(options)}`);
  if (options.backend === undefined || options.backend === null) throw invalid('/backend', 'required', 'is required');
  resolveBackend(options.backend);
  integer(options.titlesPerNote, '/titlesPerNote', 1, 32);
  oneOf(options.language, '/language', ['auto', 'zh', 'en']);
  if (options.styles !== undefined) {
    if (!Array.isArray(options.styles) || options.styles.length === 0) {
      throw invalid('/styles', 'type', 'must be a non-empty array of styles ({ id, description })');
    }
    options.styles.forEach((style: unknown, index) => {
      if (!isObject(style) || typeof style.id !== 'string' || style.id.trim() === '') {
        throw invalid(`/styles/${index}`, 'type', 'must be a style with a non-empty string id');
      }
      if (
        !isObject(style.description) ||
        typeof style.description.zh !== 'string' ||
        typeof style.description.en !== 'string'
      ) {
        throw invalid(`/styles/${index}/description`, 'type', 'must be { zh: string, en: string }');
      }
    });
  }
  nonEmptyStrings(options.audienceTiers, '/audienceTiers');
  if (options.audienceTierLabels !== undefined && !isObject(options.audienceTierLabels)) {
    throw invalid('/audienceTierLabels', 'type', 'must be an object of labels by tier id');
  }
  for (const name of ['maxTitleLength', 'minTitleLength'] as const) {
    const lengths = options[name];
    if (lengths === undefined) continue;
    if (!isObject(lengths)) throw invalid(`/${name}`, 'type', 'must be an object { zh?, en? }');
    for (const [language, value] of Object.entries(lengths)) {
      oneOf(language, `/${name}`, ['zh', 'en']);
      integer(value, `/${name}/${language}`, 1, 500);
    }
  }
  finite(options.similarityThreshold, '/similarityThreshold', 0.01, 1);
  oneOf(options.promotionTargetFrom, '/promotionTargetFrom', ['tags', 'free']);
  integer(options.retryBudget, '/retryBudget', 0, 32);
  integer(options.concurrency, '/concurrency', 1, 1024);
  finite(options.timeoutMs, '/timeoutMs', 1, 2 ** 31 - 1);
  if (options.sampling !== undefined) {
    if (!isObject(options.sampling)) throw invalid('/sampling', 'type', 'must be an object');
    for (const [name, [minimum, maximum]] of Object.entries(samplingNumbers)) {
      finite(options.sampling[name], `/sampling/${name}`, minimum, maximum);
    }
  }
  if (options.events !== undefined && typeof (options.events as { emit?: unknown })?.emit !== 'function') {
    throw invalid('/events', 'type', 'must be a CopyForgeEvents emitter');
  }
  if (options.rewardModels !== undefined && !Array.isArray(options.rewardModels)) {
    throw invalid('/rewardModels', 'type', `must be an array, got ${describe(options.rewardModels)}`);
  }
  if (options.scorer !== undefined && typeof (options.scorer as { score?: unknown })?.score !== 'function') {
    throw invalid('/scorer', 'type', 'must have a score function');
  }
}

/** Checks the controls of one `forge.generate` call; throws `CF_INVALID_CONFIG` naming the option. */
export function checkGenerateOptions(call: unknown): void {
  if (call === undefined) return;
  if (!isObject(call)) throw invalid('/', 'type', `generate options must be an object, got ${describe(call)}`);
  for (const name of ['audienceTier', 'promotionTarget'] as const) {
    const value = call[name];
    if (value !== undefined && (typeof value !== 'string' || value.trim() === '')) {
      throw invalid(`/${name}`, 'type', `must be a non-empty string, got ${describe(value)}`);
    }
  }
  if (typeof call.promotionTarget === 'string' && [...call.promotionTarget].length > 64) {
    throw invalid('/promotionTarget', 'maxLength', 'must be at most 64 characters');
  }
  if (call.styles !== undefined) {
    if (!Array.isArray(call.styles))
      throw invalid('/styles', 'type', `must be an array of style ids, got ${describe(call.styles)}`);
    call.styles.forEach((entry: unknown, index) => {
      if (typeof entry !== 'string')
        throw invalid(`/styles/${index}`, 'type', `must be a style id, got ${describe(entry)}`);
    });
  }
  integer(call.seed, '/seed', 0, Number.MAX_SAFE_INTEGER);
  finite(call.timeoutMs, '/timeoutMs', 1, 2 ** 31 - 1);
  if (call.signal !== undefined && !(call.signal instanceof AbortSignal)) {
    throw invalid('/signal', 'type', 'must be an AbortSignal');
  }
}
