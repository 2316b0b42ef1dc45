import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { evalCommand } from '../cli/commands/eval.js';
import { parseCsv, toCsv } from './csv.js';
import type { EvaluationReport } from './report.js';
import type { GsbSheetKey } from './sheets.js';
import { loadSampleNotes, sampleSystemResults } from './test-fixtures.js';

afterEach(() => vi.restoreAllMocks());

function workspace() {
  const directory = mkdtempSync(join(tmpdir(), 'copyforge-eval-'));
  const notes = loadSampleNotes().slice(0, 6);
  const system = sampleSystemResults(notes);
  const systemPath = join(directory, 'system.jsonl');
  // flat ScoredCreative lines, without notes: coverage and novelty come from --notes
  writeFileSync(systemPath, system.flatMap((result) => result.creatives.map((c) => JSON.stringify(c))).join('\n'));
  const notesPath = join(directory, 'notes.jsonl');
  writeFileSync(notesPath, notes.map((note) => JSON.stringify(note)).join('\n'));
  return { directory, systemPath, notesPath, notes };
}

describe('copyforge eval', () => {
  it('writes markdown, HTML and JSON reports and a blind sheet with its key', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')));
    const { directory, systemPath, notesPath } = workspace();
    const out = join(directory, 'report');
    const sheets = join(directory, 'sheets');
    const code = await evalCommand.run(
      { system: systemPath, notes: notesPath, out, 'export-sheet': sheets, seed: '5', 'baseline-count': '4' },
      [],
    );
    expect(code).toBe(0);
    expect(errors.join('\n')).toMatch(/6 notes, 72 creatives/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as EvaluationReport;
    expect(report.baselineSource).toBe('sampled');
    expect(report.diversity.baseline?.titleCount).toBe(6 * 4);
    expect(report.diversity.system.mean.coverage).not.toBeNull();
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('## Acceptance funnel');
    expect(readFileSync(join(out, 'report.html'), 'utf8')).toContain('id="chart-funnel"');

    // Fill the exported sheet: the system wins every row → GSB 1 when imported back.
    const key = JSON.parse(readFileSync(join(sheets, 'gsb-key.json'), 'utf8')) as GsbSheetKey;
    const [header, ...rows] = parseCsv(readFileSync(join(sheets, 'gsb-sheet.csv'), 'utf8')).map((r) => r.fields);
    expect(rows).toHaveLength(6);
    const filled = rows.map((fields, index) =>
      fields.map((cell, column) => (column === 6 ? String(key.rows[index]?.systemList) : cell)),
    );
    writeFileSync(join(sheets, 'filled.csv'), toCsv([header ?? [], ...filled]));
    const second = await evalCommand.run(
      {
        system: systemPath,
        notes: notesPath,
        out,
        sheets: [join(sheets, 'filled.csv')],
        key: join(sheets, 'gsb-key.json'),
        quiet: true,
      },
      [],
    );
    expect(second).toBe(0);
    const withHuman = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as EvaluationReport;
    expect(withHuman.gsb.human?.result).toMatchObject({ good: 6, same: 0, bad: 0, score: 1 });
  });

  it('reads a baseline file and exits 1 naming the file, line and field of a bad input', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')));
    const { directory, systemPath } = workspace();
    const baselinePath = join(directory, 'baseline.jsonl');
    writeFileSync(baselinePath, '{"noteId":"zh-001","titles":["a","b"]}\n{"noteId":"zh-002","titles":"oops"}\n');
    const out = join(directory, 'report');
    expect(await evalCommand.run({ system: systemPath, baseline: baselinePath, out, quiet: true }, [])).toBe(1);
    expect(errors.join('\n')).toMatch(/CF_INVALID_INPUT: .*baseline\.jsonl line 2: '\/titles' must be array/);
    expect(existsSync(join(out, 'report.html'))).toBe(false);

    writeFileSync(baselinePath, '{"noteId":"zh-001","titles":["a","b"]}\n');
    expect(await evalCommand.run({ system: systemPath, baseline: baselinePath, out, quiet: true }, [])).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as EvaluationReport;
    expect(report.baselineSource).toBe('file');
    expect(report.diversity.baseline?.titleCount).toBe(2);
  });

  it('needs --system, and --key with --sheets', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')));
    expect(await evalCommand.run({}, [])).toBe(2);
    const { systemPath, directory } = workspace();
    const out = join(directory, 'r');
    expect(await evalCommand.run({ system: systemPath, sheets: ['x.csv'], out }, [])).toBe(1);
    expect(errors.join('\n')).toMatch(/--sheets needs --key/);
    expect(await evalCommand.run({ system: join(directory, 'missing.jsonl'), out }, [])).toBe(1);
    expect(errors.join('\n')).toMatch(/CF_INPUT_READ_FAILED/);
  });
});
