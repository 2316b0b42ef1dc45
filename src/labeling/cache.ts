import { createHash, randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CopyForgeError } from '../core/errors.js';
import type { Labels, Note } from '../schemas/types.js';
import type { ReachTier } from './taxonomy.js';

/** Agreement of the k votes on each dimension: the winner's share of all votes, 0..1. */
export interface LabelAgreement {
  promotionTarget: number;
  audienceTier: number;
  reachTier: number;
  /** Mean over titles of the agreement on each title's style. */
  styles: number;
}

/** What the cache keeps per key: everything that came from the model, nothing that options change. */
export interface CachedLabel {
  /** The voted labels (with `confidence` when there were 2+ votes). */
  labels: Labels;
  reachTier: ReachTier;
  /** Per-dimension agreement; absent with a single vote. */
  agreement?: LabelAgreement;
  /** Votes asked for and votes that parsed and matched the schema. */
  votes: { requested: number; valid: number };
  /** Backend calls it took (retries included). */
  calls: number;
  /** Where the label came from. */
  provenance: LabelProvenance;
}

/** Where a label came from, for audits and for invalidating old labels. */
export interface LabelProvenance {
  backendId: string;
  /** sha256 of the weights, when the backend reports it. */
  modelSha256?: string;
  /** Prompt template version, e.g. `labels-v1`. */
  promptVersion: string;
  /** sha256 of the note's content (not its id) and the titles labelled. */
  contentHash: string;
  /** When the model produced it, ISO 8601. */
  labelledAt: string;
}

/**
 * A store of labels by key. {@link openLabelCache} gives the on-disk one; pass your own
 * (say over Redis) to `labelNotes({ cache })`.
 */
export interface LabelCache {
  /** The entry, or undefined on a miss (a corrupt entry is a miss). */
  get(key: string): Promise<CachedLabel | undefined>;
  /** Stores an entry; later `get`s of the key return it. */
  set(key: string, value: CachedLabel): Promise<void>;
}

/**
 * sha256 of what a note says, independent of its id and of key order: title, body,
 * tags, image descriptions, language, and the extra titles to label.
 */
export function noteContentHash(note: Note, titles: readonly string[] = []): string {
  const content = [
    note.title,
    note.body,
    note.tags ?? [],
    (note.images ?? []).map((image) => image.description),
    note.lang ?? '',
    titles,
  ];
  return createHash('sha256').update(JSON.stringify(content)).digest('hex');
}

/** The cache key of one labelling: content, model, prompt version and every option that changes the answer. */
export function labelCacheKey(parts: {
  contentHash: string;
  modelKey: string;
  promptVersion: string;
  settings: unknown;
}): string {
  return createHash('sha256')
    .update(JSON.stringify([parts.promptVersion, parts.modelKey, parts.contentHash, parts.settings]))
    .digest('hex');
}

const keyPattern = /^[0-9a-f]{64}$/u;

/**
 * Opens (creating it when needed) an on-disk label cache: one JSON file per key under
 * `directory/<first two hex digits>/`. Each file is written to a temporary name and renamed,
 * so a crash leaves either the whole entry or none, and several processes may share the
 * folder. An interrupted run resumes by finding what it already wrote.
 *
 * @example
 * const cache = await openLabelCache(join(cacheDirectory(), 'labels'));
 * await labelNotes(notes, { backend, cache });
 */
export async function openLabelCache(directory: string): Promise<LabelCache> {
  try {
    await mkdir(directory, { recursive: true });
  } catch (error) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `Cannot create the label cache '${directory}': ${String(error)}`, {
      cause: error,
      issues: [{ path: '/cache', rule: 'writable', message: `'/cache' must be a writable folder` }],
    });
  }
  const pathOf = (key: string) => {
    if (!keyPattern.test(key)) throw new CopyForgeError('CF_INTERNAL', `Malformed label cache key '${key}'.`);
    return join(directory, key.slice(0, 2), `${key}.json`);
  };
  return {
    async get(key) {
      const text = await readFile(pathOf(key), 'utf8').catch(() => undefined);
      if (text === undefined) return undefined;
      try {
        const value = JSON.parse(text) as { key?: string; value?: CachedLabel };
        return value.key === key && value.value?.labels ? value.value : undefined;
      } catch {
        return undefined;
      }
    },
    async set(key, value) {
      const path = pathOf(key);
      await mkdir(join(directory, key.slice(0, 2)), { recursive: true });
      const temporary = `${path}.${randomUUID()}.tmp`;
      try {
        await writeFile(temporary, `${JSON.stringify({ key, value })}\n`);
        await rename(temporary, path);
      } catch (error) {
        await rm(temporary, { force: true });
        throw error;
      }
    },
  };
}

/** An in-memory cache, for tests and short-lived runs. */
export function createMemoryLabelCache(): LabelCache & { readonly size: number } {
  const entries = new Map<string, CachedLabel>();
  return {
    get size() {
      return entries.size;
    },
    async get(key) {
      const value = entries.get(key);
      return value === undefined ? undefined : structuredClone(value);
    },
    async set(key, value) {
      entries.set(key, structuredClone(value));
    },
  };
}
