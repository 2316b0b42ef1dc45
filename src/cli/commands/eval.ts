import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { CopyForgeError, isCopyForgeError } from '../../core/errors.js';
import {
  parseBaselineTitles,
  parseNotes,
  parseStoredJudgements,
  parseSystemResults,
  readAllJsonLines,
} from '../../eval/inputs.js';
import { renderReport } from '../../eval/render.js';
import { buildEvaluationReport, buildGsbPairs, resolveBaseline } from '../../eval/report.js';
import { exportGsbSheet, type ImportedGsbSheets, importGsbSheets, parseGsbKey } from '../../eval/sheets.js';
import type { CliCommand, CommandValues } from '../command.js';
import { stringOption } from '../options.js';

function integerOption(values: CommandValues, name: string, fallback: number): number {
  const raw = stringOption(values, name);
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value)) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `--${name} must be an integer, got '${raw}'.`);
  }
  return value;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new CopyForgeError('CF_INPUT_READ_FAILED', `Cannot read '${path}': ${(error as Error).message}`, {
      cause: error,
    });
  }
}

async function readHumanSheets(values: CommandValues): Promise<ImportedGsbSheets | undefined> {
  const sheets = values.sheets;
  const paths = Array.isArray(sheets) ? sheets.filter((path): path is string => typeof path === 'string') : [];
  if (paths.length === 0) return undefined;
  const keyPath = stringOption(values, 'key');
  if (!keyPath)
    throw new CopyForgeError('CF_INVALID_CONFIG', '--sheets needs --key (the JSON key written with the sheet).');
  let key: unknown;
  try {
    key = JSON.parse(await readText(keyPath));
  } catch (error) {
    if (isCopyForgeError(error)) throw error;
    throw new CopyForgeError('CF_INVALID_JSON', `${keyPath} is not JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const filled = await Promise.all(paths.map(async (path) => ({ name: basename(path), text: await readText(path) })));
  return importGsbSheets(filled, parseGsbKey(key));
}

/** `copyforge eval`: diversity, GSB and funnel report of forge results against a baseline. */
export const evalCommand: CliCommand = {
  name: 'eval',
  summary: 'evaluate creatives: diversity vs a baseline, GSB, RM scores, acceptance funnel',
  usage: [
    'Usage: copyforge eval --system results.jsonl [--baseline baseline.jsonl | --notes notes.jsonl] [--out report/]',
    '',
    'Inputs (JSONL, .gz accepted):',
    '  --system <path>          forge results: {noteId, note?, creatives: ScoredCreative[]} per line,',
    '                           or one ScoredCreative per line',
    '  --baseline <path>        baseline titles: {noteId, titles: string[]} per line',
    '  --notes <path>           notes (for coverage/novelty); without --baseline their original titles',
    '                           are the pool the baseline is sampled from (--baseline-count per note)',
    '  --judgements <path>      LLM-judge verdicts: {id?, noteId, verdict: good|same|bad} per line',
    '  --sheets <path>          a filled GSB sheet (repeatable); needs --key',
    '  --key <path>             the key written next to the exported sheet',
    '',
    'Options:',
    '  --out <dir>              where report.md, report.html and report.json go (default: report)',
    '  --export-sheet <dir>     also write a blind gsb-sheet.csv and its gsb-key.json there',
    '  --seed <n>               seed for baseline sampling, sheet order and bootstrap (default: 1)',
    '  --baseline-count <n>     baseline titles per note when sampling (default: 12)',
    '  --system-name <name>     label of the system (default: copyforge)',
    '  --baseline-name <name>   label of the baseline',
    '  --accepted-only          score only accepted creatives for diversity',
    '',
    'Exits 1 when an input is invalid (the message names the file, line and field).',
  ].join('\n'),
  options: {
    system: { type: 'string' },
    baseline: { type: 'string' },
    notes: { type: 'string' },
    judgements: { type: 'string' },
    sheets: { type: 'string', multiple: true },
    key: { type: 'string' },
    out: { type: 'string' },
    'export-sheet': { type: 'string' },
    seed: { type: 'string' },
    'baseline-count': { type: 'string' },
    'system-name': { type: 'string' },
    'baseline-name': { type: 'string' },
    'accepted-only': { type: 'boolean' },
    quiet: { type: 'boolean' },
  },
  async run(values) {
    const systemPath = stringOption(values, 'system');
    if (!systemPath) {
      console.error('copyforge eval: --system is required.');
      return 2;
    }
    try {
      const seed = integerOption(values, 'seed', 1);
      const system = parseSystemResults(await readAllJsonLines(systemPath), systemPath);
      const baselinePath = stringOption(values, 'baseline');
      const notesPath = stringOption(values, 'notes');
      const judgementsPath = stringOption(values, 'judgements');
      const notes = notesPath ? parseNotes(await readAllJsonLines(notesPath), notesPath) : undefined;
      const baseline = baselinePath
        ? parseBaselineTitles(await readAllJsonLines(baselinePath), baselinePath)
        : undefined;
      const judgements = judgementsPath
        ? parseStoredJudgements(await readAllJsonLines(judgementsPath), judgementsPath)
        : undefined;
      const human = await readHumanSheets(values);
      const baselineCount = integerOption(values, 'baseline-count', 12);
      const report = buildEvaluationReport({
        system,
        baseline,
        notes,
        judgements,
        human,
        seed,
        baselineCount,
        systemName: stringOption(values, 'system-name'),
        baselineName: stringOption(values, 'baseline-name'),
        acceptedOnly: values['accepted-only'] === true,
      });
      const out = stringOption(values, 'out') ?? 'report';
      await mkdir(out, { recursive: true });
      const { markdown, html } = renderReport(report);
      await writeFile(join(out, 'report.md'), markdown);
      await writeFile(join(out, 'report.html'), html);
      await writeFile(join(out, 'report.json'), `${JSON.stringify(report, null, 2)}\n`);
      const sheetDirectory = stringOption(values, 'export-sheet');
      if (sheetDirectory) {
        const resolved = resolveBaseline({ system, baseline, notes, seed, baselineCount });
        const noteMap = new Map((notes ?? []).map((note) => [note.id, note]));
        const pairs = buildGsbPairs(system, resolved.baseline, noteMap);
        const sheet = exportGsbSheet(pairs, {
          seed,
          systemName: report.systemName,
          baselineName: report.baselineName,
        });
        await mkdir(sheetDirectory, { recursive: true });
        await writeFile(join(sheetDirectory, 'gsb-sheet.csv'), sheet.csv);
        await writeFile(join(sheetDirectory, 'gsb-key.json'), `${JSON.stringify(sheet.key, null, 2)}\n`);
      }
      if (values.quiet !== true) {
        const mean = report.diversity.system.mean;
        console.error(
          `copyforge eval: ${report.noteCount} notes, ${report.creativeCount} creatives; ` +
            `distinct-2 ${mean.distinct2?.toFixed(3) ?? '—'}, self-BLEU ${mean.selfBleu?.toFixed(3) ?? '—'}; ` +
            `report in ${out}/`,
        );
      }
      return 0;
    } catch (error) {
      if (!isCopyForgeError(error)) throw error;
      console.error(`copyforge eval: ${error.code}: ${error.message}`);
      for (const issue of error.issues.slice(0, 10)) console.error(`  ${issue.path}: ${issue.message}`);
      return 1;
    }
  },
};
