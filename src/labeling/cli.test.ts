import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { datasetCommand } from '../cli/commands/dataset.js';
import { createLabelCommand } from '../cli/commands/label.js';
import type { Note } from '../schemas/types.js';
import type { GenerateRequestV1 } from '../spec/model-backend-v1.js';
import { createMockBackend } from '../testing/mock-backend.js';

const notes: Note[] = [
  { id: 'zh-001', title: '夏天通勤必备的防晒霜', body: '清爽型防晒霜，SPF50+，128元。', lang: 'zh-CN' },
  { id: 'en-007', title: "A beginner's first road bike", body: 'An aluminium road bike for $899.', lang: 'en' },
  { id: 'en-011', title: 'Toddler-proof water bottle', body: 'A stainless steel sippy bottle.', lang: 'en' },
];

function respond(request: GenerateRequestV1): string {
  const text = JSON.stringify(request.messages);
  const target = text.includes('road bike') ? 'road bike' : text.includes('sippy') ? 'water bottle' : '防晒霜';
  return JSON.stringify({ promotionTarget: target, audienceTier: 'students', reachTier: 'niche', styles: ['how-to'] });
}

const readLines = async (path: string) =>
  (await readFile(path, 'utf8'))
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));

describe('copyforge label and dataset', () => {
  let directory: string;
  beforeEach(async () => {
    directory = await mkdtemp(join(tmpdir(), 'copyforge-label-cli-'));
  });
  afterEach(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  async function label(extraLines: string[] = []) {
    const backend = createMockBackend({ respond });
    const input = join(directory, 'notes.jsonl');
    await writeFile(input, [...notes.map((note) => JSON.stringify(note)), ...extraLines].join('\n'));
    const command = createLabelCommand({ createBackend: async () => backend });
    const code = await command.run(
      {
        in: input,
        out: join(directory, 'labels.jsonl'),
        errors: join(directory, 'errors.jsonl'),
        cache: join(directory, 'cache'),
        votes: '3',
        quiet: true,
      },
      [],
    );
    return { code, backend };
  }

  it('label writes one labelled note per line, reports bad lines, and reruns from the cache', async () => {
    const first = await label(['{not json', '{"id": "x"}']);
    expect(first.code).toBe(1);
    const labelled = await readLines(join(directory, 'labels.jsonl'));
    expect(labelled.map((entry) => entry.noteId)).toEqual(['zh-001', 'en-007', 'en-011']);
    expect(labelled[0]).toMatchObject({
      note: notes[0],
      labels: { promotionTarget: '防晒霜', audienceTier: 'students', styles: ['how-to'], confidence: 1 },
      reachTier: 'niche',
      flags: [],
    });
    const errors = await readLines(join(directory, 'errors.jsonl'));
    expect(errors.map((error) => [error.line, error.code])).toEqual([
      [4, 'CF_INVALID_JSON'],
      [5, 'CF_INVALID_NOTE'],
    ]);
    expect(first.backend.generateCalls).toHaveLength(3);
    expect(first.backend.disposed).toBe(true);

    const again = await label();
    expect(again.code).toBe(0);
    expect(again.backend.generateCalls).toHaveLength(0);
  });

  it('dataset sft writes train, validation and a card whose counts add up', async () => {
    await label();
    const out = join(directory, 'sft');
    const code = await datasetCommand.run(
      { in: join(directory, 'labels.jsonl'), out, 'validation-fraction': '0.5', quiet: true },
      ['sft'],
    );
    expect(code).toBe(0);
    const train = await readLines(join(out, 'train.jsonl'));
    const validation = await readLines(join(out, 'validation.jsonl'));
    // zh-001 fits the forge's title limits; 'Toddler-proof water bottle' and the bike title do too.
    expect(train.length + validation.length).toBe(9);
    for (const record of [...train, ...validation]) {
      expect(record.messages.map((message: { role: string }) => message.role)).toEqual(['system', 'user', 'assistant']);
    }
    const card = await readFile(join(out, 'README.md'), 'utf8');
    expect(card).toContain(`| total | 9 | 3 |`);
    expect(card).toContain('| niche | 3 (100.0%) |');

    const alpaca = join(directory, 'alpaca');
    await datasetCommand.run({ in: join(directory, 'labels.jsonl'), out: alpaca, format: 'alpaca', quiet: true }, [
      'sft',
    ]);
    const records = [
      ...(await readLines(join(alpaca, 'train.jsonl'))),
      ...(await readLines(join(alpaca, 'validation.jsonl'))),
    ];
    expect(Object.keys(records[0])).toEqual(['instruction', 'input', 'output']);
  });

  it('dataset preferences from ranked lists takes styles, targets and notes from the labels', async () => {
    await label();
    const ranked = join(directory, 'ranked.jsonl');
    await writeFile(
      ranked,
      [
        JSON.stringify({
          noteId: 'zh-001',
          titles: ['夏天通勤必备的防晒霜', { title: '防晒霜值得买吗？', style: 'question' }],
        }),
        JSON.stringify({ noteId: 'zh-001', titles: ['没有风格的标题啊'] }),
        JSON.stringify({ noteId: 'nope', titles: [] }),
      ].join('\n'),
    );
    const out = join(directory, 'pairs');
    const code = await datasetCommand.run(
      {
        from: 'ranked',
        in: ranked,
        labels: join(directory, 'labels.jsonl'),
        out,
        'validation-fraction': '0',
        quiet: true,
      },
      ['preferences'],
    );
    expect(code).toBe(0);
    const pairs = await readLines(join(out, 'train.jsonl'));
    expect(pairs).toHaveLength(1);
    expect(Object.keys(pairs[0])).toEqual(['prompt', 'chosen', 'rejected']);
    // A Chinese note: style and tier as the forge's schema shows them (Chinese labels).
    expect(JSON.parse(pairs[0].chosen[0].content)).toEqual({
      promotionTarget: '防晒霜',
      audienceTier: '学生党',
      titles: [{ title: '夏天通勤必备的防晒霜', style: '干货教程' }],
    });
    const card = await readFile(join(out, 'README.md'), 'utf8');
    expect(card).toContain('| no-note | 1 |');
    expect(card).toContain('| no-style | 1 |');
  });

  it('dataset preferences from GSB and from forge results', async () => {
    await label();
    const labels = join(directory, 'labels.jsonl');
    const gsb = join(directory, 'gsb.jsonl');
    await writeFile(
      gsb,
      `${JSON.stringify({
        noteId: 'en-007',
        verdict: 'bad',
        system: [{ title: 'Road bike for total beginners', style: 'how-to' }],
        baseline: ['Toddler-proof water bottle'],
      })}\n`,
    );
    const out = join(directory, 'gsb');
    const options = { labels, 'validation-fraction': '0', quiet: true };
    expect(await datasetCommand.run({ ...options, from: 'gsb', in: gsb, out, format: 'text' }, ['preferences'])).toBe(
      0,
    );
    const [pair] = await readLines(join(out, 'train.jsonl'));
    expect(typeof pair.prompt).toBe('string');
    expect(JSON.parse(pair.chosen).titles).toEqual([{ title: 'Toddler-proof water bottle', style: 'how-to' }]);
    expect(JSON.parse(pair.rejected).titles[0].title).toBe('Road bike for total beginners');

    const results = join(directory, 'results.jsonl');
    const creative = (title: string, accepted: boolean, rank: number) => ({
      creative: {
        id: `en-007#${rank}`,
        noteId: 'en-007',
        title,
        style: 'question',
        controls: { promotionTarget: 'road bike', audienceTier: 'students' },
      },
      scores: [],
      accepted,
      rank,
    });
    await writeFile(
      results,
      `${JSON.stringify({ noteId: 'en-007', creatives: [creative('Is this road bike worth it?', true, 1), creative('Bike bike bike bike bike', false, 2)] })}\n`,
    );
    const rm = join(directory, 'rm');
    expect(await datasetCommand.run({ ...options, from: 'rm', in: results, out: rm }, ['preferences'])).toBe(0);
    const [fromRm] = await readLines(join(rm, 'train.jsonl'));
    expect(fromRm.prompt.map((message: { role: string }) => message.role)).toEqual(['system', 'user']);
    expect(JSON.parse(fromRm.chosen[0].content).titles[0].title).toBe('Is this road bike worth it?');
  });

  it('rejects a missing sub-command and bad input lines with a coded error', async () => {
    expect(await datasetCommand.run({ in: 'x', out: 'y' }, [])).toBe(2);
    const bad = join(directory, 'bad.jsonl');
    await writeFile(bad, '{"noteId": "a"}\n');
    await expect(
      datasetCommand.run({ in: bad, out: join(directory, 'o'), quiet: true }, ['sft']),
    ).rejects.toMatchObject({
      code: 'CF_INVALID_INPUT',
    });
  });
});
