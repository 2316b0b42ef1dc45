// The SFT corpus (data/sft/notes) keeps the promises of its datasheet: every row passes the
// lint (note schema, label rules), it is large, mostly Chinese, spread over domains, its
// validation split is big enough and apart from the sample notes, and every label is an
// answer the forge's output schema accepts, so training teaches exactly what generation asks.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain ESM script without types
import * as lint from '../../scripts/sft/lint-corpus.mjs';
import { packageRoot } from '../core/package-root.js';
import { getAjv, validateNote } from '../core/validation.js';
import { buildTitlesSchema } from '../generation/output-schema.js';
import { tagCandidates } from '../generation/prompts/titles.js';
import { controlLabels, defaultAudienceTiers, defaultTitleStyles } from '../generation/styles.js';
import { completionRecordsOf, sftCorpusSplit, sftCorpusSplitOf, type UnifiedLabelRow } from './corpus.js';

const directory = join(packageRoot(), 'data/sft/notes');
const files = readdirSync(directory)
  .filter((name) => name.endsWith('.jsonl'))
  .map((name) => join(directory, name));
const rows: UnifiedLabelRow[] = files.flatMap((file) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as UnifiedLabelRow),
);

describe('the SFT corpus', () => {
  it('passes the lint on every row', async () => {
    const { problems, counts } = await lint.lintCorpus(files);
    expect(problems).toEqual([]);
    expect(counts.notes).toBeGreaterThanOrEqual(1000);
    expect(counts.zh / counts.notes).toBeGreaterThanOrEqual(0.6);
    expect(counts.domains.length).toBeGreaterThanOrEqual(15);
  }, 60_000);

  it('holds out at least 150 validation notes, split the same way by the lint and the library', () => {
    const validation = rows.filter((row) => sftCorpusSplitOf(row.note.id) === 'validation');
    expect(validation.length).toBeGreaterThanOrEqual(150);
    for (const row of rows)
      expect(lint.isValidationNote(row.note.id)).toBe(sftCorpusSplitOf(row.note.id) === 'validation');
    expect(lint.sftCorpusSplit).toEqual(sftCorpusSplit);
  });

  it('shares no note with data/sample-notes.jsonl', () => {
    const samples = readFileSync(join(packageRoot(), 'data/sample-notes.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as { id: string; body: string });
    const ids = new Set(rows.map((row) => row.note.id));
    const bodies = new Set(rows.map((row) => row.note.body));
    for (const sample of samples) {
      expect(ids.has(sample.id)).toBe(false);
      expect(bodies.has(sample.body)).toBe(false);
    }
  });

  it('labels are answers the forge output schema accepts, in the prompt language', () => {
    const ajv = getAjv();
    const records = completionRecordsOf(rows);
    rows.forEach((row, index) => {
      validateNote(row.note);
      const language = row.note.lang === 'en' ? 'en' : 'zh';
      const labels = controlLabels(language, defaultTitleStyles, defaultAudienceTiers);
      const shown = labels.shown({ styles: defaultTitleStyles, audienceTiers: defaultAudienceTiers });
      const schema = buildTitlesSchema({
        count: row.label.titles.length,
        styleIds: shown.styles.map((style) => style.id),
        maxTitleLength: language === 'zh' ? 20 : 60,
        minTitleLength: language === 'zh' ? 4 : 10,
        promotionTargets: tagCandidates(row.note),
        audienceTiers: shown.audienceTiers,
      });
      const answer = JSON.parse(records[index]?.completion ?? '');
      const valid = ajv.validate(schema, answer);
      if (!valid) throw new Error(`${row.note.id}: ${ajv.errorsText()}`);
      expect(records[index]?.prompt).toContain(row.note.body);
    });
  }, 60_000);
});

describe('the corpus lint', () => {
  const good = rows.find((row) => row.note.lang === 'zh-CN' && row.note.title !== '') as UnifiedLabelRow;
  const variant = (change: (row: UnifiedLabelRow) => void) => {
    const copy = structuredClone(good);
    change(copy);
    return lint.lintRow(copy);
  };

  it('accepts a good row', async () => {
    expect(await lint.lintRow(good)).toEqual([]);
  });

  it.each([
    ['a target that is not a tag', (row: UnifiedLabelRow) => (row.label.promotionTarget = '不存在的产品')],
    ['an unknown tier', (row: UnifiedLabelRow) => (row.label.audienceTier = 'aliens')],
    [
      'a number not in the note',
      (row: UnifiedLabelRow) => (row.label.titles[0] = { title: '只要98765元就够', style: 'question' }),
    ],
    [
      'a Latin name not in the note',
      (row: UnifiedLabelRow) => (row.label.titles[0] = { title: 'Zqxv同款真的好用', style: 'question' }),
    ],
    [
      'an absolute claim',
      (row: UnifiedLabelRow) => (row.label.titles[0] = { title: '全网最好用的一款', style: 'question' }),
    ],
    [
      'a title too long',
      (row: UnifiedLabelRow) => (row.label.titles[0] = { title: '这'.repeat(21), style: 'question' }),
    ],
    [
      'an English title on a Chinese note',
      (row: UnifiedLabelRow) => (row.label.titles[0] = { title: 'A title in English here', style: 'question' }),
    ],
    [
      "the note's own title",
      (row: UnifiedLabelRow) => (row.label.titles[0] = { title: row.note.title, style: 'question' }),
    ],
    ['too few titles', (row: UnifiedLabelRow) => (row.label.titles = row.label.titles.slice(0, 5))],
    ['an invalid note', (row: UnifiedLabelRow) => ((row.note as { body: string }).body = '')],
  ])('rejects %s', async (_name, change) => {
    expect((await variant(change)).length).toBeGreaterThan(0);
  });
});
