import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { rmCommand } from '../cli/commands/rm.js';
import { scoreCommand } from '../cli/commands/score.js';
import { createSyntheticRankedLists } from './attractiveness/synthetic.js';

afterEach(() => vi.restoreAllMocks());

function quietConsole() {
  const out: string[] = [];
  const error: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...args) => void error.push(args.join(' ')));
  return { out, error };
}

const creative = (id: string, noteId: string, title: string) => ({
  id,
  noteId,
  title,
  style: 'plain',
  controls: { promotionTarget: 'p', audienceTier: 'a' },
});

describe('copyforge score', () => {
  it('scores creatives per note, ranks them and reports bad lines', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-score-'));
    const input = join(directory, 'creatives.jsonl');
    const output = join(directory, 'scored.jsonl');
    const lines = [
      creative('a', 'zh-001', '50元的防晒霜，学生党也能冲'),
      creative('b', 'zh-001', '夏天通勤必备的清爽防晒霜'),
      creative('c', 'en-010', 'A 26cm cast iron skillet for $35'),
    ].map((value) => JSON.stringify(value));
    writeFileSync(input, `${[...lines, '{oops'].join('\n')}\n`);
    const { error } = quietConsole();
    expect(await scoreCommand.run({ in: input, out: output, quiet: true }, [])).toBe(1);
    const scored = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(scored.map((item) => [item.creative.id, item.accepted, item.rank])).toEqual([
      ['b', true, 1],
      ['a', false, 2],
      ['c', true, 1],
    ]);
    expect(scored[1].scores[0].reasons).toContainEqual(
      expect.objectContaining({ code: 'entity-mismatch', span: '50元' }),
    );
    expect(error.join('\n')).toMatch(/line 4: CF_INVALID_JSON/);
  });
});

describe('copyforge rm train', () => {
  it('trains attractiveness weights from ranked lists and prints held-out pair accuracy', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-rm-'));
    const input = join(directory, 'ranked.jsonl');
    const output = join(directory, 'weights.json');
    const { lists } = createSyntheticRankedLists({ lists: 100, dimension: 8, seed: 4 });
    writeFileSync(input, lists.map((list) => JSON.stringify(list)).join('\n'));
    const { out } = quietConsole();
    const code = await rmCommand.run({ in: input, out: output, space: 'mock:8', quiet: true }, [
      'train',
      'attractiveness',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(output, 'utf8'))).toMatchObject({ space: 'mock:8', dimension: 8 });
    expect(out.join('\n')).toMatch(/held-out pair accuracy 0\.9\d*/);
  });

  it('trains usability weights from labelled titles and prints held-out F1', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-rm-'));
    const input = join(directory, 'labelled.jsonl');
    const output = join(directory, 'weights.json');
    const rows = [
      { noteId: 'zh-001', title: '夏天通勤必备的清爽防晒霜', label: 1 },
      { noteId: 'zh-001', title: '128元的防晒霜，学生党也能冲', label: 1 },
      { noteId: 'zh-001', title: '199元的防晒霜', label: 0 },
      { noteId: 'en-010', title: 'A 26cm cast iron skillet for $35', label: 1 },
      { noteId: 'en-010', title: 'A 30cm skillet for $80', label: 0 },
    ];
    writeFileSync(input, rows.map((row) => JSON.stringify(row)).join('\n'));
    const { out } = quietConsole();
    const code = await rmCommand.run({ in: input, out: output, 'holdout-notes': 'en-010', quiet: true }, [
      'train',
      'usability',
    ]);
    expect(code).toBe(0);
    expect(JSON.parse(readFileSync(output, 'utf8')).kind).toBe('copyforge.usability-weights');
    expect(out.join('\n')).toMatch(/held-out accuracy [\d.]+ {2}precision [\d.]+ {2}recall [\d.]+ {2}F1/);
  });

  it('prints usage for an unknown sub-command', async () => {
    const { error } = quietConsole();
    expect(await rmCommand.run({}, ['fit', 'usability'])).toBe(2);
    expect(error.join('\n')).toMatch(/Usage: copyforge rm train/);
  });
});

describe('copyforge score, titles written by people', () => {
  it('accepts minimal rows { noteId, title } with optional style and controls', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-score-minimal-'));
    const input = join(directory, 'titles.jsonl');
    const output = join(directory, 'scored.jsonl');
    writeFileSync(
      input,
      `${[
        { noteId: 'zh-001', title: '通勤两小时也不怕晒的防晒霜' },
        { noteId: 'zh-001', title: '128元一支的清爽防晒', style: 'number-list', audienceTier: 'students' },
      ]
        .map((row) => JSON.stringify(row))
        .join('\n')}\n`,
    );
    quietConsole();
    expect(await scoreCommand.run({ in: input, out: output, quiet: true }, [])).toBe(0);
    const scored = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(scored).toHaveLength(2);
    const byTitle = Object.fromEntries(scored.map((entry) => [entry.creative.title, entry.creative]));
    expect(byTitle['通勤两小时也不怕晒的防晒霜']).toMatchObject({
      id: 'zh-001#line-1',
      style: 'unspecified',
      controls: { promotionTarget: '防晒', audienceTier: 'broad' },
    });
    expect(byTitle['128元一支的清爽防晒']).toMatchObject({
      style: 'number-list',
      controls: { audienceTier: 'students' },
    });
    for (const entry of scored) expect(entry.scores[0].rewardModel).toBe('usability');
  });
});
