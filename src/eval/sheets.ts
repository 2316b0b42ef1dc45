import { CopyForgeError, type ValidationIssue } from '../core/errors.js';
import { createSeededRandom, randomInteger, shuffled } from '../core/random.js';
import { parseCsv, toCsv } from './csv.js';
import { type AgreementResult, cohenAgreement, computeGsb, type GsbResult, type GsbVerdict } from './gsb.js';
import type { GsbJudgement, GsbPair } from './judge.js';

/** The columns of a blind GSB sheet, in order. */
export const gsbSheetColumns = ['row', 'note_id', 'goal', 'note', 'titles_1', 'titles_2', 'verdict', 'reason'] as const;

/** Which list of a sheet row holds the system's titles; kept only in the key file. */
export interface GsbKeyRow {
  /** The row id printed in the sheet. */
  row: string;
  /** The pair's id. */
  id: string;
  /** The note's id. */
  noteId: string;
  /** `1` when `titles_1` is the system's list, `2` when `titles_2` is. */
  systemList: 1 | 2;
}

/** The key of a blind sheet: kept away from raters, needed to read their verdicts. */
export interface GsbSheetKey {
  /** Marks the file's kind. */
  format: 'copyforge-gsb-key';
  /** Key file version. */
  version: 1;
  /** Seed that shuffled rows and sides. */
  seed: number;
  /** Names of the two systems, for the report. */
  systems: { system: string; baseline: string };
  /** One entry per sheet row. */
  rows: GsbKeyRow[];
}

/** Options for {@link exportGsbSheet}. */
export interface ExportGsbSheetOptions {
  /** Seed for the row order and for which side each system is on. @default 1 */
  seed?: number;
  /** Name of the evaluated system, stored in the key only. @default 'system' */
  systemName?: string;
  /** Name of the baseline, stored in the key only. @default 'baseline' */
  baselineName?: string;
  /** Goal for pairs without one. @default 'Make readers of this note want to click, while staying faithful to it.' */
  defaultGoal?: string;
}

/** A blind sheet for raters and the key that unblinds it. */
export interface GsbSheet {
  /** CSV text (UTF-8 with BOM) with the columns of {@link gsbSheetColumns}. */
  csv: string;
  /** The key; write it to its own JSON file and keep it from raters. */
  key: GsbSheetKey;
}

function numberedCell(titles: readonly string[]): string {
  return titles.map((title, index) => `${index + 1}. ${title}`).join('\n');
}

/**
 * Exports pairs as a blind side-by-side sheet: system names are not in it, rows are
 * shuffled and each row puts the system's list on a random side. Raters write `1`, `2`
 * or `same` in `verdict` (the better list) and may explain in `reason`.
 *
 * @example
 * const { csv, key } = exportGsbSheet(pairs, { seed: 3 });
 * writeFileSync('gsb-sheet.csv', csv); writeFileSync('gsb-key.json', JSON.stringify(key));
 */
export function exportGsbSheet(pairs: readonly GsbPair[], options: ExportGsbSheetOptions = {}): GsbSheet {
  const seed = options.seed ?? 1;
  const random = createSeededRandom(seed);
  const order = shuffled(pairs, random);
  const width = String(order.length).length;
  const keyRows: GsbKeyRow[] = [];
  const rows: string[][] = [[...gsbSheetColumns]];
  order.forEach((pair, index) => {
    const row = `r${String(index + 1).padStart(width, '0')}`;
    const systemList: 1 | 2 = randomInteger(random, 2) === 0 ? 1 : 2;
    const [first, second] = systemList === 1 ? [pair.system, pair.baseline] : [pair.baseline, pair.system];
    const note = pair.note ? [pair.note.title, pair.note.body].filter(Boolean).join('\n') : '';
    const goal =
      pair.goal ?? options.defaultGoal ?? 'Make readers of this note want to click, while staying faithful to it.';
    rows.push([row, pair.noteId, goal, note, numberedCell(first), numberedCell(second), '', '']);
    keyRows.push({ row, id: pair.id, noteId: pair.noteId, systemList });
  });
  return {
    csv: toCsv(rows),
    key: {
      format: 'copyforge-gsb-key',
      version: 1,
      seed,
      systems: { system: options.systemName ?? 'system', baseline: options.baselineName ?? 'baseline' },
      rows: keyRows,
    },
  };
}

/** One rater's verdict on one row, unblinded. */
export interface HumanGsbRating {
  /** The sheet it came from (its name or index). */
  sheet: string;
  /** Row id. */
  row: string;
  /** The pair's id. */
  id: string;
  /** The note's id. */
  noteId: string;
  /** From the system's point of view. */
  verdict: GsbVerdict;
  /** The rater's reason, if any. */
  reason: string;
}

/** The result of {@link importGsbSheets}. */
export interface ImportedGsbSheets {
  /** Every rated row of every sheet. */
  ratings: HumanGsbRating[];
  /** Rows left blank, by sheet. */
  unrated: { sheet: string; row: string }[];
  /** GSB over all ratings (each rater's row counts once). */
  gsb: GsbResult;
}

/** A filled sheet to import. */
export interface FilledSheet {
  /** A name for messages, e.g. the file name. */
  name: string;
  /** The CSV text. */
  text: string;
}

const firstSpellings = new Set(['1', 'a', 'list 1', 'titles_1', 'left', '１']);
const secondSpellings = new Set(['2', 'b', 'list 2', 'titles_2', 'right', '２']);
const sameSpellings = new Set([
  'same',
  's',
  '=',
  '0',
  'tie',
  'equal',
  'both',
  'neither',
  '相同',
  '一样',
  '差不多',
  '持平',
]);

/** Reads a rater's cell: `first`, `second`, `same`, `blank`, or `undefined` when unknown. */
function readVerdictCell(cell: string): 'first' | 'second' | 'same' | 'blank' | undefined {
  const value = cell.normalize('NFKC').trim().toLowerCase();
  if (value === '') return 'blank';
  if (firstSpellings.has(value)) return 'first';
  if (secondSpellings.has(value)) return 'second';
  if (sameSpellings.has(value)) return 'same';
  return undefined;
}

function invalidKey(message: string): CopyForgeError {
  return new CopyForgeError('CF_INVALID_INPUT', `Invalid GSB key: ${message}`);
}

/** Checks a parsed key file; throws a coded error naming the field. */
export function parseGsbKey(value: unknown): GsbSheetKey {
  const key = value as Partial<GsbSheetKey> | null;
  if (typeof key !== 'object' || key === null || key.format !== 'copyforge-gsb-key') {
    throw invalidKey("'/format' must be 'copyforge-gsb-key'.");
  }
  if (!Array.isArray(key.rows)) throw invalidKey("'/rows' must be an array.");
  key.rows.forEach((row, index) => {
    if (typeof row?.row !== 'string' || typeof row.id !== 'string' || typeof row.noteId !== 'string') {
      throw invalidKey(`'/rows/${index}' needs string 'row', 'id' and 'noteId'.`);
    }
    if (row.systemList !== 1 && row.systemList !== 2) throw invalidKey(`'/rows/${index}/systemList' must be 1 or 2.`);
  });
  return key as GsbSheetKey;
}

/**
 * Imports filled sheets and unblinds them with the key. Parsing is tolerant (BOM, quotes,
 * delimiters, line breaks in cells, extra columns, any column order); verdict cells
 * accept `1`/`2`/`same` and common spellings (`A`, `B`, `tie`, `=`, `相同`...). Blank rows
 * are listed as unrated. Unknown verdicts, unknown row ids and missing columns throw
 * `CF_INVALID_INPUT` with one issue per bad cell, naming sheet, line and column.
 *
 * @example
 * const { gsb } = importGsbSheets([{ name: 'alice.csv', text }], key);
 */
export function importGsbSheets(sheets: readonly FilledSheet[], key: GsbSheetKey): ImportedGsbSheets {
  const keyRows = new Map(parseGsbKey(key).rows.map((row) => [row.row, row]));
  const ratings: HumanGsbRating[] = [];
  const unrated: { sheet: string; row: string }[] = [];
  const issues: ValidationIssue[] = [];
  for (const sheet of sheets) {
    const [header, ...records] = parseCsv(sheet.text);
    const columns = (header?.fields ?? []).map((name) => name.trim().toLowerCase());
    const rowColumn = columns.indexOf('row');
    const verdictColumn = columns.indexOf('verdict');
    const reasonColumn = columns.indexOf('reason');
    if (rowColumn < 0 || verdictColumn < 0) {
      const missing = rowColumn < 0 ? 'row' : 'verdict';
      issues.push({ path: `${sheet.name}:1`, rule: 'required', message: `${sheet.name} has no '${missing}' column` });
      continue;
    }
    for (const record of records) {
      const row = (record.fields[rowColumn] ?? '').trim();
      const cell = record.fields[verdictColumn] ?? '';
      const keyRow = keyRows.get(row);
      const where = `${sheet.name} line ${record.line}`;
      if (!keyRow) {
        issues.push({
          path: `${sheet.name}:${record.line}`,
          rule: 'key',
          message: `${where}: row '${row}' is not in the key`,
        });
        continue;
      }
      const read = readVerdictCell(cell);
      if (read === undefined) {
        issues.push({
          path: `${sheet.name}:${record.line}`,
          rule: 'enum',
          message: `${where}: verdict '${cell.trim()}' is not 1, 2 or same`,
        });
      } else if (read === 'blank') {
        unrated.push({ sheet: sheet.name, row });
      } else {
        const verdict: GsbVerdict =
          read === 'same' ? 'same' : (read === 'first') === (keyRow.systemList === 1) ? 'good' : 'bad';
        const reason = reasonColumn < 0 ? '' : (record.fields[reasonColumn] ?? '').trim();
        ratings.push({ sheet: sheet.name, row, id: keyRow.id, noteId: keyRow.noteId, verdict, reason });
      }
    }
  }
  if (issues.length > 0) {
    const more = issues.length > 3 ? ` and ${issues.length - 3} more` : '';
    const summary = issues
      .slice(0, 3)
      .map((issue) => issue.message)
      .join('; ');
    throw new CopyForgeError('CF_INVALID_INPUT', `Invalid GSB sheet: ${summary}${more}.`, { issues });
  }
  return { ratings, unrated, gsb: computeGsb(ratings.map((rating) => rating.verdict)) };
}

/**
 * Agreement between the LLM judge and human raters: every human rating of a pair the
 * judge also decided is one item (so two raters of a pair give two items).
 *
 * @example
 * judgeHumanAgreement(judge.judgements, imported.ratings); // { items, percentAgreement, kappa }
 */
export function judgeHumanAgreement(
  judgements: readonly Pick<GsbJudgement, 'id' | 'verdict'>[],
  ratings: readonly Pick<HumanGsbRating, 'id' | 'verdict'>[],
): AgreementResult {
  const judged = new Map(judgements.map((judgement) => [judgement.id, judgement.verdict]));
  const judge: GsbVerdict[] = [];
  const human: GsbVerdict[] = [];
  for (const rating of ratings) {
    const verdict = judged.get(rating.id);
    if (verdict === undefined) continue;
    judge.push(verdict);
    human.push(rating.verdict);
  }
  return cohenAgreement(judge, human);
}
