import { readFile } from 'node:fs/promises';
import { CopyForgeError } from '../core/errors.js';
import { detectLanguage } from '../generation/language.js';
import type { TitlesOutput } from '../generation/output-schema.js';
import { type CompletionRecord, type SftExample, toCompletionRecord } from '../labeling/datasets.js';
import { type DatasetSplit, splitOf } from '../labeling/split.js';
import type { Note } from '../schemas/types.js';

/** One row of a hand-labelled corpus such as `data/sft/notes/*.jsonl`: a note and its unified label. */
export interface UnifiedLabelRow {
  note: Note;
  label: TitlesOutput;
}

/** How the shipped corpus is split: `splitOf(id, sftCorpusSplit)`. Never change it; validation is never trained on. */
export const sftCorpusSplit = Object.freeze({ validationFraction: 0.18, seed: 'copyforge-sft' });

/** Which side of {@link sftCorpusSplit} a note is on. */
export function sftCorpusSplitOf(noteId: string): DatasetSplit {
  return splitOf(noteId, sftCorpusSplit);
}

/** A unified SFT example (nothing fixed; the model states target, tier and titles) for a labelled row. */
export function unifiedExample(row: UnifiedLabelRow): SftExample {
  return {
    kind: 'unified',
    noteId: row.note.id,
    note: row.note,
    language: detectLanguage(`${row.note.title}${row.note.body}`, row.note.lang),
    controls: {},
    output: row.label,
  };
}

/** Prompt-completion records of rows, exactly as `copyforge dataset sft --format completion` writes them. */
export function completionRecordsOf(rows: readonly UnifiedLabelRow[]): CompletionRecord[] {
  return rows.map((row) => toCompletionRecord(unifiedExample(row)));
}

/** Reads a corpus JSONL file of {@link UnifiedLabelRow}s (no validation: the corpus lint does that). */
export async function readUnifiedLabelRows(path: string): Promise<UnifiedLabelRow[]> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .map((line, index) => ({ line: line.trim(), index }))
    .filter(({ line }) => line !== '')
    .map(({ line, index }) => {
      try {
        return JSON.parse(line) as UnifiedLabelRow;
      } catch (error) {
        throw new CopyForgeError('CF_INVALID_INPUT', `${path}:${index + 1} is not JSON: ${(error as Error).message}`, {
          cause: error,
        });
      }
    });
}
