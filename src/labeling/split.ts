import { createHash } from 'node:crypto';
import { CopyForgeError } from '../core/errors.js';

/** Which part of a dataset an example belongs to. */
export type DatasetSplit = 'train' | 'validation';

/** Options for {@link splitOf}. */
export interface SplitOptions {
  /** Share of notes held out for validation, 0..1. @default 0.1 */
  validationFraction?: number;
  /**
   * Salt of the hash; change it to draw another split of the same notes.
   * @default 'copyforge'
   * @example seed: 'run-2'
   */
  seed?: string;
}

/**
 * Assigns a note to train or validation by a hash of its id, so the split is the same on
 * every run and machine, does not depend on input order, and keeps every example of a
 * note (all its titles, all its pairs) on one side: no note leaks into validation.
 *
 * @example
 * splitOf('zh-001') // 'train' (always)
 */
export function splitOf(noteId: string, options: SplitOptions = {}): DatasetSplit {
  const fraction = options.validationFraction ?? 0.1;
  if (!(fraction >= 0 && fraction <= 1)) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'validationFraction' must be in 0..1, got ${fraction}.`, {
      issues: [{ path: '/validationFraction', rule: 'maximum', message: "'/validationFraction' must be in 0..1" }],
    });
  }
  const digest = createHash('sha256')
    .update(`${options.seed ?? 'copyforge'}\u0000${noteId}`)
    .digest();
  // The first 48 bits as a number in [0, 1).
  const position = digest.readUIntBE(0, 6) / 2 ** 48;
  return position < fraction ? 'validation' : 'train';
}

/** Splits items by their note id; order within each part is kept. */
export function splitByNote<T>(
  items: readonly T[],
  noteIdOf: (item: T) => string,
  options: SplitOptions = {},
): Record<DatasetSplit, T[]> {
  const parts: Record<DatasetSplit, T[]> = { train: [], validation: [] };
  for (const item of items) parts[splitOf(noteIdOf(item), options)].push(item);
  return parts;
}
