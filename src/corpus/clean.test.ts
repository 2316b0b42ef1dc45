import { describe, expect, it } from 'vitest';
import { isCopyForgeError } from '../core/errors.js';
import { createMockBackend } from '../testing/mock-backend.js';
import { type CleanOptions, cleanCorpus } from './clean.js';
import type { CorpusDocument, DocumentStage } from './stage.js';

const base = [
  '这家店的芝士蛋糕真的太好吃了，口感绵密，甜度刚好，下次还会再来。',
  '秋天的第一件风衣，搭配白色T恤和牛仔裤，简单又好看，通勤也很合适。',
  '分享一个超级简单的早餐做法：鸡蛋、牛奶、面粉搅拌均匀，小火煎两分钟。',
  '这款面霜用了一个月，皮肤明显没那么干了，适合秋冬季节使用的干皮姐妹。',
  '周末去爬山，山顶的风景太美了，建议早上六点出发，可以看到日出和云海。',
];

async function collect(records: unknown[], options: CleanOptions = {}) {
  const run = cleanCorpus(records, options);
  const documents: CorpusDocument[] = [];
  for await (const document of run) documents.push(document);
  return { documents, stats: run.stats };
}

describe('cleanCorpus', () => {
  it('keeps clean notes in order and converts note records', async () => {
    const records = base.map((body, index) => ({ id: `n${index}`, title: '标题', body, tags: ['分享'] }));
    const { documents, stats } = await collect(records);
    expect(documents.map((document) => document.id)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(documents[0]).toMatchObject({ text: `标题\n${base[0]}`, metadata: { hashtags: ['分享'] } });
    expect(stats).toMatchObject({ input: 5, kept: 5, dropped: 0, output: 5 });
  });

  it('drops exact duplicates after normalisation and near duplicates, recording why', async () => {
    const records = [
      base[0],
      `  ${base[0]!.replace('，', ',')}  `, // exact after normalisation
      base[1],
      `${base[1]!.replace('合适', '适合')}😀`, // near duplicate: the last shingles differ
      base[2],
    ];
    const { documents, stats } = await collect(records);
    expect(documents.map((document) => document.text)).toEqual([base[0], base[1], base[2]]);
    expect(stats.stages['dedup:exact']!.drops['exact-duplicate']!.count).toBe(1);
    expect(stats.stages['dedup:near']!.drops['near-duplicate']!.count).toBe(1);
    expect(stats.stages['dedup:near']!.drops['near-duplicate']!.examples[0]!.id).toBe('input:3');
    const reported: string[] = [];
    await collect(records, { onDrop: (document, stage) => reported.push(`${stage} ${document.id}`) });
    expect(reported).toEqual(['dedup:exact input:1', 'dedup:near input:3']);
  });

  it('reports invalid records under the read stage and filter drops with examples', async () => {
    const { stats } = await collect([42, { nothing: true }, '太短', base[0]]);
    expect(stats.stages.read!.drops).toMatchObject({ 'not-a-record': { count: 1 }, 'no-text': { count: 1 } });
    expect(stats.stages['filter:length']!.drops['too-short']).toMatchObject({
      count: 1,
      examples: [{ id: 'input:2' }],
    });
    expect(stats.kept).toBe(1);
  });

  it('runs custom stages before dedup and recomputes keys when they change the text', async () => {
    const strip: DocumentStage = {
      name: 'strip-suffix',
      apply: (document) => ({ ...document, text: document.text.replace(/（广告）$/, '') }),
    };
    const { documents, stats } = await collect([base[0], `${base[0]}（广告）`], { stages: [strip] });
    expect(documents).toHaveLength(1);
    expect(stats.stages['strip-suffix']!.seen).toBe(2);
    expect(stats.stages['dedup:exact']!.dropped).toBe(1);
  });

  it('filters by perplexity through a backend with scoreText', async () => {
    const backend = createMockBackend({ score: (_prompt, text) => (text.includes('蛋糕') ? -100 : -1) * text.length });
    const { documents, stats } = await collect(base, { perplexity: { backend, maxPerplexity: 10 } });
    expect(documents).toHaveLength(4);
    expect(stats.stages['filter:perplexity']!.drops['high-perplexity']!.count).toBe(1);
  });

  it('rejects a perplexity backend without scoreText', () => {
    const run = () => cleanCorpus(base, { perplexity: { backend: createMockBackend(), maxPerplexity: 10 } });
    return expect(
      (async () => {
        for await (const _ of run()) break;
      })(),
    ).rejects.toSatisfy((error: unknown) => isCopyForgeError(error, 'CF_CAPABILITY_MISSING'));
  });

  it('gives the same output with worker threads as inline', async () => {
    const records: string[] = [];
    for (let index = 0; index < 300; index++) records.push(`${base[index % base.length]} 第${index % 120}号`);
    const inline = await collect(records, { batchSize: 37 });
    const threaded = await collect(records, { batchSize: 37, workers: 2 });
    expect(threaded.stats.workers).toBe(2);
    expect(threaded.stats.warnings).toEqual([]);
    expect(threaded.documents).toEqual(inline.documents);
    expect(threaded.stats.stages).toEqual(inline.stats.stages);
  }, 60_000);

  it('cancels between batches', async () => {
    const controller = new AbortController();
    const run = cleanCorpus(base, { batchSize: 1, signal: controller.signal, onBatch: () => controller.abort() });
    await expect(
      (async () => {
        for await (const _ of run) {
          // consume
        }
      })(),
    ).rejects.toSatisfy((error: unknown) => isCopyForgeError(error, 'CF_ABORTED'));
  });

  it('rejects a bad worker count', () => {
    expect(() => cleanCorpus(base, { workers: -1 })).toThrow(/workers/);
  });
});

describe('cleanCorpus, hostile sources and options', () => {
  it('refuses sources and options it cannot run with CF_INVALID_CONFIG naming the option, before reading', () => {
    for (const [source, options, path] of [
      [42, {}, '/source'],
      [null, {}, '/source'],
      [{ paths: 'a.jsonl' }, {}, '/source'],
      [[], { batchSize: 0 }, '/batchSize'],
      [[], { nearDedup: { bands: -3 } }, '/nearDedup/bands'],
      [[], { nearDedup: { bands: 0 } }, '/nearDedup/bands'],
      [[], { filters: { length: { min: -5, max: 'x' } } }, '/filters/length'],
      [[], { workers: -1 }, '/workers'],
      [[], { stages: 'x' }, '/stages'],
    ] as const) {
      let thrown: unknown;
      try {
        cleanCorpus(source as never, options as never);
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify({ source, options })).toMatchObject({
        code: 'CF_INVALID_CONFIG',
        issues: expect.arrayContaining([expect.objectContaining({ path: expect.stringContaining(path) })]),
      });
    }
  });

  it('drops documents with empty text even with filters off, and metadata nested too deep, with workers too', async () => {
    let deep: unknown = { leaf: true };
    for (let level = 0; level < 2500; level++) deep = { next: deep };
    const records = [
      { id: 'empty', text: '   ' },
      { id: 'deep', text: base[0], metadata: deep },
      { id: 'ok', text: base[1] },
    ];
    for (const workers of [0, 1]) {
      const { documents, stats } = await collect(records, { filters: false, workers });
      expect(
        documents.map((document) => document.id),
        `workers ${workers}`,
      ).toEqual(['ok']);
      expect(stats.stages.read?.drops['empty-text']?.count).toBe(1);
      expect(stats.stages.read?.drops['too-deep']?.count).toBe(1);
    }
  });
});
