import { CopyForgeError, isCopyForgeError, type ValidationIssue } from '../core/errors.js';
import type { JsonLine } from '../core/jsonl.js';
import { createValidator } from '../core/validation.js';
import type { Note } from '../schemas/types.js';
import type { StyledTitle } from './datasets.js';
import type { LabelledNote } from './label-notes.js';

// Readers for the files `copyforge dataset` takes. Each bad line throws a coded error
// naming the file, the line and the field.

const noteRef = { $ref: 'https://copyforge.dev/schemas/note.schema.json' };
const titleEntry = {
  anyOf: [
    { type: 'string', minLength: 1 },
    {
      type: 'object',
      required: ['title'],
      properties: { title: { type: 'string', minLength: 1 }, style: { type: 'string', minLength: 1 } },
    },
  ],
};

const labelledSchema = {
  type: 'object',
  required: ['noteId', 'note', 'labels', 'reachTier', 'grounding', 'flags'],
  properties: {
    noteId: { type: 'string', minLength: 1 },
    note: noteRef,
    labels: { $ref: 'https://copyforge.dev/schemas/labels.schema.json' },
    reachTier: { enum: ['broad', 'interest', 'niche'] },
    grounding: {
      type: 'object',
      required: ['grounded', 'method'],
      properties: { grounded: { type: 'boolean' }, method: { enum: ['exact', 'normalised', 'parts', 'none'] } },
    },
    flags: { type: 'array', items: { enum: ['ungrounded-target', 'low-confidence', 'partial-votes'] } },
  },
};

const rankedSchema = {
  type: 'object',
  required: ['noteId', 'titles'],
  properties: {
    noteId: { type: 'string', minLength: 1 },
    note: noteRef,
    promotionTarget: { type: 'string', minLength: 1 },
    audienceTier: { type: 'string', minLength: 1 },
    titles: { type: 'array', items: titleEntry },
  },
};

const gsbSchema = {
  type: 'object',
  required: ['noteId', 'verdict', 'system', 'baseline'],
  properties: {
    id: { type: 'string' },
    noteId: { type: 'string', minLength: 1 },
    note: noteRef,
    verdict: { enum: ['good', 'same', 'bad'] },
    promotionTarget: { type: 'string', minLength: 1 },
    audienceTier: { type: 'string', minLength: 1 },
    system: { type: 'array', items: titleEntry },
    baseline: { type: 'array', items: titleEntry },
  },
};

/** A title as found in an input file: bare, or with its style. */
export type TitleEntry = string | { title: string; style?: string };

/** A line of a ranked-lists file. */
export interface RankedLine {
  noteId: string;
  note?: Note;
  promotionTarget?: string;
  audienceTier?: string;
  /** Best first. */
  titles: TitleEntry[];
}

/** A line of a GSB file: the judge's verdict with both title lists. */
export interface GsbLine {
  id?: string;
  noteId: string;
  note?: Note;
  verdict: 'good' | 'same' | 'bad';
  promotionTarget?: string;
  audienceTier?: string;
  system: TitleEntry[];
  baseline: TitleEntry[];
}

const validators = {
  labelled: createValidator<LabelledNote>(labelledSchema, 'CF_INVALID_INPUT', 'labelled note'),
  ranked: createValidator<RankedLine>(rankedSchema, 'CF_INVALID_INPUT', 'ranked titles line'),
  gsb: createValidator<GsbLine>(gsbSchema, 'CF_INVALID_INPUT', 'GSB line'),
};

function readLines<T>(lines: Iterable<JsonLine>, file: string, validate: (value: unknown) => T): T[] {
  const result: T[] = [];
  for (const line of lines) {
    if ('error' in line) {
      throw new CopyForgeError('CF_INVALID_JSON', `${file}: ${line.error.message}`, {
        cause: line.error,
        details: { file, line: line.line },
      });
    }
    try {
      result.push(validate(line.value));
    } catch (error) {
      if (!isCopyForgeError(error)) throw error;
      const issues: readonly ValidationIssue[] = error.issues;
      throw new CopyForgeError('CF_INVALID_INPUT', `${file} line ${line.line}: ${error.message}`, {
        cause: error,
        issues: [...issues],
        details: { file, line: line.line },
      });
    }
  }
  return result;
}

/** Reads the lines `copyforge label` writes. */
export function parseLabelledNotes(lines: Iterable<JsonLine>, file: string): LabelledNote[] {
  return readLines(lines, file, validators.labelled);
}

/** Reads ranked title lists: `{ noteId, note?, promotionTarget?, audienceTier?, titles }`, best first. */
export function parseRankedLines(lines: Iterable<JsonLine>, file: string): RankedLine[] {
  return readLines(lines, file, validators.ranked);
}

/** Reads GSB lines: `{ noteId, note?, verdict, system, baseline, promotionTarget?, audienceTier? }`. */
export function parseGsbLines(lines: Iterable<JsonLine>, file: string): GsbLine[] {
  return readLines(lines, file, validators.gsb);
}

/**
 * What labelled notes tell about other inputs: each note, its target and audience, and the
 * style of every title labelled (original titles are the GSB baseline's titles).
 */
export interface LabelIndex {
  notes: Map<string, Note>;
  controls: Map<string, { promotionTarget: string; audienceTier: string }>;
  styleOfTitle: Map<string, string>;
}

/** Indexes labelled notes for {@link resolveTitles} and the preference builders. */
export function indexLabels(labelled: readonly LabelledNote[]): LabelIndex {
  const index: LabelIndex = { notes: new Map(), controls: new Map(), styleOfTitle: new Map() };
  for (const entry of labelled) {
    index.notes.set(entry.noteId, entry.note);
    index.controls.set(entry.noteId, {
      promotionTarget: entry.labels.promotionTarget,
      audienceTier: entry.labels.audienceTier,
    });
    (entry.labels.titles ?? []).forEach((title, position) => {
      const style = entry.labels.styles[position];
      if (style !== undefined) index.styleOfTitle.set(title, style);
    });
  }
  return index;
}

/** Gives every title its style, from the entry or the labels; undefined when one has none. */
export function resolveTitles(entries: readonly TitleEntry[], index: LabelIndex): StyledTitle[] | undefined {
  const result: StyledTitle[] = [];
  for (const entry of entries) {
    const title = typeof entry === 'string' ? entry : entry.title;
    const style = (typeof entry === 'string' ? undefined : entry.style) ?? index.styleOfTitle.get(title);
    if (style === undefined) return undefined;
    result.push({ title, style });
  }
  return result;
}
