import { describe, expect, it } from 'vitest';
import { cleanCorpus } from './clean.js';
import { Mixer } from './mix.js';
import type { CorpusDocument } from './stage.js';

function* genericRecords(count: number, length = 1): Generator<string> {
  for (let index = 0; index < count; index++) {
    yield `generic document ${index} ${'word '.repeat(((index * 7) % 13) + length)}`;
  }
}

async function mixCounts(
  domainCount: number,
  ratio: number,
  by: 'documents' | 'tokens',
  seed: number,
): Promise<{ order: string[]; mixer: Mixer }> {
  const mixer = new Mixer({ source: genericRecords(domainCount * 2), ratio, by, seed });
  const order: string[] = [];
  for (let index = 0; index < domainCount; index++) {
    const document: CorpusDocument = { id: `d${index}`, text: '域内文档'.repeat((index % 5) + 1), metadata: {} };
    order.push(document.id);
    for (const generic of await mixer.afterDomain(document)) order.push(generic.id);
  }
  return { order, mixer };
}

describe('Mixer', () => {
  it('hits the document ratio within ±1% on 100k documents', async () => {
    const { order, mixer } = await mixCounts(100_000, 0.3, 'documents', 1);
    const generic = order.filter((id) => !id.startsWith('d')).length;
    expect(Math.abs(generic / order.length - 0.3)).toBeLessThan(0.01);
    expect(Math.abs(mixer.achievedRatio - 0.3)).toBeLessThan(0.01);
  }, 60_000);

  it('hits the token ratio within ±1% on 100k documents', async () => {
    const { mixer } = await mixCounts(100_000, 0.2, 'tokens', 2);
    expect(mixer.by).toBe('tokens');
    expect(Math.abs(mixer.achievedRatio - 0.2)).toBeLessThan(0.01);
  }, 60_000);

  it('is deterministic under a seed and varies the interleaving with it', async () => {
    const first = await mixCounts(2_000, 0.3, 'documents', 7);
    const again = await mixCounts(2_000, 0.3, 'documents', 7);
    const other = await mixCounts(2_000, 0.3, 'documents', 8);
    expect(again.order).toEqual(first.order);
    expect(other.order).not.toEqual(first.order);
  });

  it('reports exhaustion when the generic corpus runs out', async () => {
    const mixer = new Mixer({ source: genericRecords(3), ratio: 0.5 });
    for (let index = 0; index < 10; index++) await mixer.afterDomain({ id: `${index}`, text: '文档', metadata: {} });
    expect(mixer.exhausted).toBe(true);
    expect(mixer.state.generic).toBe(3);
  });

  it('rejects a ratio outside (0, 1) with a coded error naming the field', () => {
    expect(() => new Mixer({ source: [], ratio: 1 })).toThrow(/mix\.ratio/);
  });

  it('mixes inside cleanCorpus, marking generic documents', async () => {
    const domain = Array.from(
      { length: 40 },
      (_, index) => `这是第${index}篇笔记，内容关于秋天的穿搭和护肤心得，编号${index * 7919}。`,
    );
    const run = cleanCorpus(domain, {
      nearDedup: false,
      mix: { source: genericRecords(100), ratio: 0.25, name: 'wiki' },
    });
    const sources: string[] = [];
    for await (const document of run) sources.push(document.source ?? '');
    expect(sources.filter((source) => source === 'generic:wiki')).toHaveLength(run.stats.generic);
    expect(run.stats.generic).toBeGreaterThanOrEqual(13);
    expect(run.stats.generic).toBeLessThanOrEqual(14);
    expect(run.stats.mix).toMatchObject({ ratio: 0.25, by: 'documents', exhausted: false });
  });
});
