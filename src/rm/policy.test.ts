import { describe, expect, it } from 'vitest';
import type { RewardScore, ScoredCreative } from '../schemas/types.js';
import { applyPolicy } from './policy.js';
import { ngramSimilarity } from './text.js';

function item(
  id: string,
  title: string,
  usability: [number, RewardScore['verdict']],
  attractiveness: number,
): ScoredCreative {
  return {
    creative: { id, noteId: 'n', title, style: 's', controls: { promotionTarget: 'p', audienceTier: 'a' } },
    scores: [
      { rewardModel: 'usability', version: '1', score: usability[0], verdict: usability[1], reasons: [] },
      { rewardModel: 'attractiveness', version: '1', score: attractiveness, verdict: 'pass', reasons: [] },
    ],
    accepted: false,
  };
}

const scored = [
  item('a', '夏天通勤必备的清爽防晒霜', [0.9, 'pass'], 0.9),
  item('b', '夏天通勤必备的清爽防晒霜!', [0.9, 'pass'], 0.88),
  item('c', '128元的防晒霜，学生党也能冲', [0.8, 'pass'], 0.7),
  item('d', '199元的防晒霜', [0.2, 'fail'], 0.99),
  item('e', '像乳液一样好推开', [0.55, 'pass'], 0.6),
];

describe('acceptance policy', () => {
  it('vetoes on usability fail, ranks by attractiveness and keeps every score', () => {
    const ranked = applyPolicy(scored, { diversityLambda: 1 });
    expect(ranked.map((entry) => entry.creative.id)).toEqual(['a', 'b', 'c', 'e', 'd']);
    expect(ranked.map((entry) => entry.accepted)).toEqual([true, true, true, true, false]);
    expect(ranked.map((entry) => entry.rank)).toEqual([1, 2, 3, 4, 5]);
    expect(ranked.every((entry) => entry.scores.length === 2)).toBe(true);
  });

  it('uses MMR so a near-duplicate does not take the second slot', () => {
    expect(ngramSimilarity('夏天通勤必备的清爽防晒霜', '夏天通勤必备的清爽防晒霜!')).toBeGreaterThan(0.9);
    const relevanceOnly = applyPolicy(scored, { topK: 2, diversityLambda: 1 });
    expect(relevanceOnly.filter((entry) => entry.accepted).map((entry) => entry.creative.id)).toEqual(['a', 'b']);
    const diverse = applyPolicy(scored, { topK: 2, diversityLambda: 0.7 });
    expect(diverse.filter((entry) => entry.accepted).map((entry) => entry.creative.id)).toEqual(['a', 'c']);
    expect(diverse.map((entry) => entry.creative.id)).toEqual(['a', 'c', 'b', 'e', 'd']);
  });

  it('applies thresholds, the unknown-verdict rule and explicit veto lists', () => {
    const threshold = applyPolicy(scored, { thresholds: { usability: 0.6 } });
    expect(threshold.filter((entry) => entry.accepted).map((entry) => entry.creative.id)).toEqual(['a', 'c', 'b']);
    const unknown = [item('x', 'title x', [0, 'unknown'], 0.5), item('y', 'title y', [0.9, 'pass'], 0.4)];
    expect(applyPolicy(unknown).map((entry) => entry.accepted)).toEqual([true, true]);
    expect(
      applyPolicy(unknown, { unknownVerdict: 'fail' }).map((entry) => [entry.creative.id, entry.accepted]),
    ).toEqual([
      ['y', true],
      ['x', false],
    ]);
    const noVeto = applyPolicy(scored, { vetoModels: [] });
    expect(noVeto[0]?.creative.id).toBe('d');
  });

  it('refuses a lambda outside [0, 1] with a coded error', () => {
    expect(() => applyPolicy(scored, { diversityLambda: 2 })).toThrow(
      expect.objectContaining({ code: 'CF_INVALID_CONFIG' }),
    );
  });
});
