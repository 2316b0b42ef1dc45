// Renders the evaluation report in a real headless browser (Debian's chromium) and
// checks that the page paints and that the DOM holds every chart. Chromium is a
// system package: `apt-get install -y chromium`. Set COPYFORGE_UPDATE_DOCS_IMAGES=1 to
// refresh docs/images/eval-report.png from this run.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evalCommand } from '../../src/cli/commands/eval.js';
import { parseCsv, toCsv } from '../../src/eval/csv.js';
import { buildGsbPairs, resolveBaseline } from '../../src/eval/report.js';
import { exportGsbSheet } from '../../src/eval/sheets.js';
import { loadSampleNotes, sampleJudgements, sampleSystemResults } from '../../src/eval/test-fixtures.js';

const root = resolve(import.meta.dirname, '../..');

function findChromium(): string {
  for (const candidate of ['chromium', 'chromium-browser']) {
    const found = spawnSync('which', [candidate], { encoding: 'utf8' });
    if (found.status === 0 && found.stdout.trim() !== '') return found.stdout.trim();
  }
  throw new Error(
    'chromium is not installed: the evaluation report browser check needs it. Run `apt-get update && apt-get install -y chromium`.',
  );
}

function chromiumArguments(profile: string): string[] {
  return [
    '--headless',
    '--no-sandbox',
    '--disable-gpu',
    '--disable-quic',
    '--no-first-run',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    `--user-data-dir=${profile}`,
  ];
}

describe('evaluation report in a real browser', () => {
  let workspace: string;
  let reportDirectory: string;

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'copyforge-eval-report-'));
    const notes = loadSampleNotes();
    const system = sampleSystemResults(notes);
    const systemPath = join(workspace, 'system.jsonl');
    const notesPath = join(workspace, 'notes.jsonl');
    const judgementsPath = join(workspace, 'judgements.jsonl');
    writeFileSync(systemPath, system.map((result) => JSON.stringify(result)).join('\n'));
    writeFileSync(notesPath, notes.map((note) => JSON.stringify(note)).join('\n'));
    const judgements = sampleJudgements(system);
    writeFileSync(judgementsPath, judgements.map((judgement) => JSON.stringify(judgement)).join('\n'));
    // A human sheet, filled to agree with the judge on most rows.
    const { baseline } = resolveBaseline({ system, notes, seed: 3 });
    const { csv, key } = exportGsbSheet(buildGsbPairs(system, baseline), { seed: 3 });
    const verdictById = new Map(judgements.map((judgement) => [judgement.id, judgement.verdict]));
    const [header, ...records] = parseCsv(csv).map((record) => record.fields);
    const filled = records.map((fields, index) => {
      const keyRow = key.rows[index];
      const verdict = index % 5 === 4 ? 'same' : verdictById.get(keyRow?.id ?? '');
      const systemList = String(keyRow?.systemList);
      const otherList = String(3 - (keyRow?.systemList ?? 1));
      const copy = [...fields];
      copy[6] = verdict === 'good' ? systemList : verdict === 'bad' ? otherList : 'same';
      return copy;
    });
    writeFileSync(join(workspace, 'rater.csv'), toCsv([header ?? [], ...filled]));
    writeFileSync(join(workspace, 'key.json'), JSON.stringify(key));
    reportDirectory = join(workspace, 'report');
    const code = await evalCommand.run(
      {
        system: systemPath,
        notes: notesPath,
        judgements: judgementsPath,
        sheets: [join(workspace, 'rater.csv')],
        key: join(workspace, 'key.json'),
        seed: '3',
        out: reportDirectory,
        quiet: true,
      },
      [],
    );
    expect(code).toBe(0);
  });

  afterAll(() => {
    if (workspace) rmSync(workspace, { recursive: true, force: true });
  });

  it('paints a non-trivial screenshot', () => {
    const chromium = findChromium();
    const screenshot = join(workspace, 'report.png');
    const url = pathToFileURL(join(reportDirectory, 'report.html')).href;
    execFileSync(
      chromium,
      [
        ...chromiumArguments(join(workspace, 'profile-shot')),
        `--screenshot=${screenshot}`,
        '--window-size=1280,2000',
        url,
      ],
      { stdio: 'pipe', timeout: 90_000 },
    );
    expect(existsSync(screenshot)).toBe(true);
    const png = readFileSync(screenshot);
    expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
    // IHDR: width and height as big-endian integers at bytes 16 and 20.
    expect(png.readUInt32BE(16)).toBe(1280);
    expect(png.readUInt32BE(20)).toBe(2000);
    // A blank 1280×2000 page compresses to a few kilobytes; charts and text make it far larger.
    expect(statSync(screenshot).size).toBeGreaterThan(50_000);
    if (process.env.COPYFORGE_UPDATE_DOCS_IMAGES === '1') {
      mkdirSync(join(root, 'docs/images'), { recursive: true });
      copyFileSync(screenshot, join(root, 'docs/images/eval-report.png'));
    }
  });

  it('lays out every chart in the rendered DOM', () => {
    const chromium = findChromium();
    const url = pathToFileURL(join(reportDirectory, 'report.html')).href;
    const dom = execFileSync(chromium, [...chromiumArguments(join(workspace, 'profile-dom')), '--dump-dom', url], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 90_000,
      maxBuffer: 16 * 1024 * 1024,
    });
    for (const id of [
      'chart-diversity',
      'chart-gsb',
      'chart-funnel',
      'chart-scores-usability',
      'chart-scores-attractiveness',
      'chart-scores-compliance',
    ]) {
      expect(dom).toMatch(new RegExp(`<svg[^>]*id="${id}"`));
    }
    // bars were drawn (6 metrics × 2 systems, 3 × 10 histogram bins, 3 GSB segments × 2 rows, 4 funnel stages)
    expect((dom.match(/class="bar"/g) ?? []).length).toBeGreaterThanOrEqual(12 + 30 + 6 + 4);
    expect(dom).toContain('class="interval"');
    expect(dom).toContain('LLM judge');
    expect(dom).toContain('Human');
    expect(dom).toMatch(/Judge–human agreement over 24 ratings/);
    expect(dom).not.toMatch(/<script/i);
  });
});
