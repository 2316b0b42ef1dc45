import { CopyForgeError, isCopyForgeError, type ValidationIssue } from '../core/errors.js';
import type { JsonLine } from '../core/jsonl.js';
import { readJsonLines } from '../core/jsonl.js';
import { createValidator, validateNote, validateScoredCreative } from '../core/validation.js';
import type { Note, ScoredCreative } from '../schemas/types.js';
import type { BaselineTitles } from './baseline.js';
import type { GsbVerdict } from './gsb.js';

/**
 * The error code for a malformed evaluation input file. There is no dedicated code yet
 * (`CF_INVALID_INPUT` has been asked for); until then the closest existing one is used.
 */
const invalidInputCode = 'CF_INVALID_INPUT' as const;

/** One note's forge result: the shape `copyforge eval --system` reads, one per line. */
export interface SystemNoteResult {
  /** The note's id. */
  noteId: string;
  /** The note, when the result carries it (coverage and novelty need it). */
  note?: Note;
  /** The note's scored creatives. */
  creatives: ScoredCreative[];
}

/** A judge verdict read back from a file (a subset of `GsbJudgement`). */
export interface StoredJudgement {
  /** The pair's id; the note id when absent. */
  id: string;
  /** The note's id. */
  noteId: string;
  /** From the system's point of view. */
  verdict: GsbVerdict;
}

function prefixIssues(issues: readonly ValidationIssue[], prefix: string): ValidationIssue[] {
  return issues.map((issue) => ({
    path: `${prefix}${issue.path}`,
    rule: issue.rule,
    message: issue.message.replace(/^'([^']*)'/, `'${prefix}$1'`).replace(/^the input/, `'${prefix || '/'}'`),
  }));
}

function lineError(file: string, line: number, issues: ValidationIssue[], cause?: unknown): CopyForgeError {
  const summary = issues
    .slice(0, 3)
    .map((issue) => `${issue.message} (${issue.rule})`)
    .join('; ');
  const more = issues.length > 3 ? ` and ${issues.length - 3} more` : '';
  return new CopyForgeError(invalidInputCode, `${file} line ${line}: ${summary}${more}.`, {
    issues,
    cause,
    details: { file, line },
  });
}

/** Runs a validator and re-throws its issues under `prefix`, naming file and line. */
function check<T>(validate: (value: unknown) => T, value: unknown, prefix: string, file: string, line: number): T {
  try {
    return validate(value);
  } catch (error) {
    if (!isCopyForgeError(error)) throw error;
    throw lineError(file, line, prefixIssues(error.issues, prefix), error);
  }
}

function jsonError(file: string, line: { line: number; error: CopyForgeError }): CopyForgeError {
  return new CopyForgeError('CF_INVALID_JSON', `${file}: ${line.error.message}`, {
    cause: line.error,
    details: { file, line: line.line },
  });
}

function fieldError(file: string, line: number, path: string, rule: string, detail: string): CopyForgeError {
  return lineError(file, line, [{ path, rule, message: `'${path}' ${detail}` }]);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Reads forge results from parsed JSONL lines. Each line is either one note's result
 * `{ noteId, note?, creatives: ScoredCreative[] }` or a single `ScoredCreative` (grouped
 * by `creative.noteId`); both may appear in one file and lines of the same note merge.
 * Throws a coded error naming the file, line and field of the first bad line.
 */
export function parseSystemResults(lines: Iterable<JsonLine>, file: string): SystemNoteResult[] {
  const byNote = new Map<string, SystemNoteResult>();
  const entry = (noteId: string) => {
    let result = byNote.get(noteId);
    if (!result) {
      result = { noteId, creatives: [] };
      byNote.set(noteId, result);
    }
    return result;
  };
  for (const line of lines) {
    if ('error' in line) throw jsonError(file, line);
    const value = line.value;
    if (isObject(value) && 'creative' in value && !('creatives' in value)) {
      const scored = check(validateScoredCreative, value, '', file, line.line);
      entry(scored.creative.noteId).creatives.push(scored);
      continue;
    }
    if (!isObject(value)) throw fieldError(file, line.line, '/', 'type', 'must be an object');
    if (typeof value.noteId !== 'string' || value.noteId === '') {
      throw fieldError(file, line.line, '/noteId', 'required', 'is required (a non-empty string)');
    }
    if (!Array.isArray(value.creatives)) throw fieldError(file, line.line, '/creatives', 'type', 'must be an array');
    const result = entry(value.noteId);
    if (value.note !== undefined) result.note = check(validateNote, value.note, '/note', file, line.line);
    value.creatives.forEach((creative, index) => {
      const scored = check(validateScoredCreative, creative, `/creatives/${index}`, file, line.line);
      if (scored.creative.noteId !== value.noteId) {
        const path = `/creatives/${index}/creative/noteId`;
        throw fieldError(file, line.line, path, 'const', `is '${scored.creative.noteId}', not the line's noteId`);
      }
      result.creatives.push(scored);
    });
  }
  return [...byNote.values()];
}

const baselineSchema = {
  type: 'object',
  required: ['noteId', 'titles'],
  properties: {
    noteId: { type: 'string', minLength: 1 },
    titles: { type: 'array', items: { type: 'string' } },
  },
} as const;
const validateBaselineLine = createValidator<BaselineTitles>(baselineSchema, invalidInputCode, 'baseline line');

/** Reads baseline lines `{ noteId, titles: string[] }`; throws naming file, line and field. */
export function parseBaselineTitles(lines: Iterable<JsonLine>, file: string): BaselineTitles[] {
  const result: BaselineTitles[] = [];
  for (const line of lines) {
    if ('error' in line) throw jsonError(file, line);
    const value = check(validateBaselineLine, line.value, '', file, line.line);
    result.push({ noteId: value.noteId, titles: value.titles });
  }
  return result;
}

const judgementSchema = {
  type: 'object',
  required: ['noteId', 'verdict'],
  properties: {
    id: { type: 'string', minLength: 1 },
    noteId: { type: 'string', minLength: 1 },
    verdict: { enum: ['good', 'same', 'bad'] },
  },
} as const;
const validateJudgementLine = createValidator<{ id?: string; noteId: string; verdict: GsbVerdict }>(
  judgementSchema,
  invalidInputCode,
  'judgement line',
);

/** Reads judge verdict lines `{ id?, noteId, verdict: 'good'|'same'|'bad' }` (extra fields are ignored). */
export function parseStoredJudgements(lines: Iterable<JsonLine>, file: string): StoredJudgement[] {
  const result: StoredJudgement[] = [];
  for (const line of lines) {
    if ('error' in line) throw jsonError(file, line);
    const value = check(validateJudgementLine, line.value, '', file, line.line);
    result.push({ id: value.id ?? value.noteId, noteId: value.noteId, verdict: value.verdict });
  }
  return result;
}

/** Reads note lines, validating each; throws naming file, line and field. */
export function parseNotes(lines: Iterable<JsonLine>, file: string): Note[] {
  const result: Note[] = [];
  for (const line of lines) {
    if ('error' in line) throw jsonError(file, line);
    result.push(check(validateNote, line.value, '', file, line.line));
  }
  return result;
}

/** Collects every line of a JSONL file (`.gz` accepted). */
export async function readAllJsonLines(path: string): Promise<JsonLine[]> {
  const lines: JsonLine[] = [];
  for await (const line of readJsonLines(path)) lines.push(line);
  return lines;
}
