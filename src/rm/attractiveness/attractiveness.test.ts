import { describe, expect, it } from 'vitest';
import type { Note } from '../../schemas/types.js';
import { createMockBackend } from '../../testing/mock-backend.js';
import { createRewardModelHost } from '../host.js';
import { createAttractivenessRewardModel, parseAttractivenessWeights, preferenceProbability } from './model.js';
import { createSyntheticRankedLists } from './synthetic.js';
import { expandPairs, fitTemperature, trainAttractivenessRM } from './train.js';

const note: Note = { id: 'n', title: 't', body: 'body' };

describe('attractiveness training', () => {
  it('expands a list of K titles into K(K-1)/2 ordered pairs', () => {
    expect(expandPairs([4])).toHaveLength(6);
    expect(expandPairs([3, 2])).toEqual([
      { better: 0, worse: 1, list: 0 },
      { better: 0, worse: 2, list: 0 },
      { better: 1, worse: 2, list: 0 },
      { better: 3, worse: 4, list: 1 },
    ]);
  });

  it('learns a hidden linear preference: held-out pair accuracy of at least 0.9', () => {
    const { lists } = createSyntheticRankedLists({ lists: 400, dimension: 64, seed: 3 });
    const { weights, metrics } = trainAttractivenessRM(lists, { space: 'mock:64', seed: 2 });
    expect(metrics.holdoutPairs).toBe(80 * 10);
    expect(metrics.holdoutPairAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(metrics.temperature).toBeGreaterThan(0);
    expect(weights.space).toBe('mock:64');
    expect(weights.embeddingWeights).toHaveLength(64);
  });

  it('trains on lists of mixed sizes, one longer than a batch, and lowers the training loss', () => {
    const { lists } = createSyntheticRankedLists({ lists: 300, dimension: 32, seed: 5 });
    const long = createSyntheticRankedLists({ lists: 1, dimension: 32, listSize: 14, seed: 5 }).lists;
    const mixed = [
      ...long,
      ...lists.map((list, index) =>
        index % 3 === 0 ? { titles: list.titles.slice(0, 2), embeddings: list.embeddings?.slice(0, 2) } : list,
      ),
    ];
    const losses: number[] = [];
    const { metrics } = trainAttractivenessRM(mixed, {
      space: 'mock:32',
      seed: 4,
      batchSize: 16,
      onEpoch: (_epoch, _epochs, loss) => losses.push(loss),
    });
    expect(metrics.trainPairs + metrics.holdoutPairs).toBe(91 + 100 * 1 + 200 * 10);
    expect(losses).toHaveLength(30);
    expect(losses.at(-1) as number).toBeLessThan((losses[0] as number) / 2);
    expect(metrics.holdoutPairAccuracy).toBeGreaterThanOrEqual(0.85);
  });

  it('fits a temperature that sharpens confident margins and softens noisy ones', () => {
    expect(fitTemperature([5, 6, 4, 5])).toBeLessThan(fitTemperature([5, -4, 3, -2, 4]));
  });
});

describe('attractiveness model', () => {
  const { lists, hidden } = createSyntheticRankedLists({ lists: 200, dimension: 16, seed: 9 });
  const { weights } = trainAttractivenessRM(lists, { space: 'mock:embeddings', seed: 1 });

  it('ranks by the learned preference through the backend embeddings', async () => {
    const backend = createMockBackend({
      embed: (text) => (text === 'good' ? hidden : hidden.map((value) => -value)),
    });
    const model = createAttractivenessRewardModel({ weights });
    const scores = await model.scoreBatch(
      [
        { id: 'a', title: 'good' },
        { id: 'b', title: 'bad' },
      ],
      { note, config: {}, backend, signal: new AbortController().signal },
    );
    expect((scores[0]?.score as number) > (scores[1]?.score as number)).toBe(true);
    expect(preferenceProbability(weights, 2, 1)).toBeGreaterThan(0.5);
  });

  it('refuses weights made for another embedding space with CF_INVALID_CONFIG', async () => {
    expect(() => parseAttractivenessWeights(weights, { space: 'other-model' })).toThrow(
      expect.objectContaining({ code: 'CF_INVALID_CONFIG', message: expect.stringContaining("'mock:embeddings'") }),
    );
    const host = await createRewardModelHost({ rewardModels: [createAttractivenessRewardModel({ weights })] });
    const otherSpace = createMockBackend({ id: 'other', embed: () => hidden });
    const [scored] = await host.scoreCandidates(
      note,
      [{ id: 'c', noteId: 'n', title: 'x', style: 's', controls: { promotionTarget: 'p', audienceTier: 'a' } }],
      { backend: otherSpace },
    );
    expect(scored?.scores[0]).toMatchObject({ verdict: 'unknown', reasons: [{ code: 'CF_INVALID_CONFIG' }] });
    const [noEmbed] = await host.scoreCandidates(
      note,
      [{ id: 'c', noteId: 'n', title: 'x', style: 's', controls: { promotionTarget: 'p', audienceTier: 'a' } }],
      { backend: createMockBackend() },
    );
    expect(noEmbed?.scores[0]?.reasons[0]?.code).toBe('CF_CAPABILITY_MISSING');
  });
});
