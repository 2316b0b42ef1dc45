import { describe, expect, it } from 'vitest';
import type { Note } from '../../schemas/types.js';
import { createMockBackend } from '../../testing/mock-backend.js';
import { createRandom } from '../text.js';
import { augmentTitle, buildNamePool } from './augment.js';
import { checkEntities, parseChineseNumber } from './entities.js';
import { computeUsabilityFeatures, usabilityFeatureNames } from './features.js';
import { createUsabilityRewardModel, parseUsabilityWeights, scoreUsability } from './model.js';
import { trainUsabilityRM } from './train.js';

const sunscreen: Note = {
  id: 'zh-001',
  title: '夏天通勤必备的防晒霜',
  body: '最近换了这款清爽型防晒霜，SPF50+ PA++++，上脸不油不闷，通勤两小时补涂一次完全不黑。质地像乳液，很好推开，不搓泥。价格128元50ml，学生党也能接受。',
  tags: ['防晒', '通勤', '护肤'],
};
const skillet: Note = {
  id: 'en-010',
  title: 'The cast iron pan I use every day',
  body: 'A 26cm pre-seasoned cast iron skillet: eggs slide off after a few weeks of use, and it goes from stove to oven. It cost $35 and will outlive me.',
  tags: ['cast iron', 'cooking', 'kitchen'],
};

describe('entity consistency', () => {
  it('reads Chinese numerals, full-width digits and currency forms', () => {
    expect(parseChineseNumber('两')).toBe(2);
    expect(parseChineseNumber('十五')).toBe(15);
    expect(parseChineseNumber('一百二十')).toBe(120);
    expect(checkEntities('通勤2小时补涂一次', sunscreen).unsupported).toEqual([]);
    expect(checkEntities('１２８元的防晒霜', sunscreen).unsupported).toEqual([]);
    expect(checkEntities('¥128的防晒霜', sunscreen).unsupported).toEqual([]);
  });

  it('flags numbers, prices, brands and product words the note does not support', () => {
    const spans = (title: string, note: Note) => checkEntities(title, note).unsupported.map((entity) => entity.span);
    expect(spans('50元的防晒霜', sunscreen)).toEqual(['50元']);
    expect(spans('通勤3小时补涂一次', sunscreen)).toEqual(['3小时']);
    expect(spans('Anessa同款防晒霜', sunscreen)).toEqual(['Anessa']);
    expect(spans('这款洗面奶很清爽', sunscreen)).toEqual(['洗面奶']);
    expect(spans('A 30cm skillet for $35', skillet)).toEqual(['30cm']);
    expect(spans('A 26cm skillet for $80', skillet)).toEqual(['$80']);
    expect(spans('The Lodge skillet I use every day', skillet)).toEqual(['Lodge']);
  });
});

describe('usability features', () => {
  it('quotes the spans of noise, truncation and negation problems', () => {
    const codes = (title: string, note: Note) =>
      computeUsabilityFeatures(title, note).reasons.map((reason) => [reason.code, reason.span]);
    expect(codes('防晒霜防晒霜真好用', sunscreen)).toContainEqual(['repeated-words', '防晒霜防晒霜']);
    expect(codes('防晒霜好用！！！！', sunscreen)).toContainEqual(['punctuation-spam', '！！！！']);
    expect(codes('夏天通勤必备的', sunscreen)).toContainEqual(['truncated-ending', '的']);
    expect(codes('【防晒霜推荐', sunscreen)).toContainEqual(['unbalanced-brackets', '【']);
    expect(codes('上脸油不闷的防晒霜', sunscreen)).toContainEqual(['negation-mismatch', '上脸油']);
    expect(codes('Eggs do not slide off this skillet', skillet)).toContainEqual(['negation-mismatch', 'not slide']);
    expect(codes('é˜²æ™’éœœ', sunscreen).map(([code]) => code)).toContain('garbled-text');
  });

  it('flags a shortcoming stated as the title, not one turned, asked or denied', async () => {
    const bike: Note = {
      id: 'zh-bike',
      title: '通勤自行车',
      body: '这辆城市自行车避震一般，走石子路有点颠，但是轻，12公斤，每天通勤骑10公里，车座偏硬。',
    };
    const flagged = (title: string, note: Note) =>
      computeUsabilityFeatures(title, note).reasons.find((reason) => reason.code === 'states-downside')?.span;
    expect(flagged('避震一般，走石子路有点颠', bike)).toBe('一般');
    expect(flagged('车座偏硬，每天骑10公里', bike)).toBe('偏硬');
    expect(flagged('避震一般，但12公斤很轻', bike)).toBeUndefined();
    expect(flagged('走石子路有点颠？', bike)).toBeUndefined();
    expect(flagged('通勤不踩雷的12公斤自行车', bike)).toBeUndefined();
    expect(flagged('骑了一个月，优缺点都说清', bike)).toBeUndefined();
    expect(flagged('The skillet runs a bit hot on gas', skillet)).toBe('runs a bit hot');
    expect(flagged('A bit heavy, but it will outlive me', skillet)).toBeUndefined();
    // The shipped weights reject the bare shortcoming and keep the turned one.
    const [bare, turned] = await scoreUsability(['避震一般，走石子路有点颠', '避震一般，但12公斤很轻'], bike);
    expect(bare?.verdict).toBe('fail');
    expect(turned?.verdict).toBe('pass');
  });

  it('measures fluency from scoreText and says when the backend lacks it', async () => {
    const fluent = createMockBackend({ score: (_prompt, text) => -1.5 * Math.max(1, text.length) });
    const withFluency = { ...parseUsabilityWeights(createUsabilityWeightsWithFluency()) };
    const [scored] = await scoreUsability(['夏天通勤必备的防晒霜'], sunscreen, {
      backend: fluent,
      weights: withFluency,
    });
    expect(scored?.reasons.map((reason) => reason.code)).not.toContain('fluency-unavailable');
    const [missing] = await scoreUsability(['夏天通勤必备的防晒霜'], sunscreen, {
      backend: createMockBackend(),
      config: { fluency: true },
    });
    expect(missing?.reasons).toContainEqual(expect.objectContaining({ code: 'fluency-unavailable' }));
    // Weights trained without fluency do not pay for a scoring pass unless asked.
    let scoringCalls = 0;
    const counting = createMockBackend({
      score: (_prompt, text) => {
        scoringCalls++;
        return -1.5 * text.length;
      },
    });
    await scoreUsability(['夏天通勤必备的防晒霜'], sunscreen, { backend: counting });
    expect(scoringCalls).toBe(0);
    await scoreUsability(['夏天通勤必备的防晒霜'], sunscreen, { backend: counting, config: { fluency: true } });
    expect(scoringCalls).toBeGreaterThan(0);
  });
});

function createUsabilityWeightsWithFluency() {
  return {
    kind: 'copyforge.usability-weights',
    formatVersion: 1,
    featureNames: [
      'tooShort',
      'tooLong',
      'garbled',
      'mixedScript',
      'repeatedCharacters',
      'repeatedWords',
      'unbalancedBrackets',
      'emojiSpam',
      'punctuationSpam',
      'truncatedEnding',
      'unsupportedNumbers',
      'unsupportedNames',
      'entityPrecisionGap',
      'negationMismatch',
      'lowNoteOverlap',
      'wrongLanguage',
      'disfluency',
      'fluencyMissing',
    ],
    weights: [-2, -1, -2, -1, -2, -3, -1, -1, -1, -3, -3, -3, -2, -3, -1, -2, -4, 0],
    bias: 2,
    fluency: true,
  };
}

describe('augmentation', () => {
  it('makes FactCC-style negatives the features catch', () => {
    const random = createRandom(5);
    const context = { random, namePool: buildNamePool() };
    const swapped = augmentTitle('128元的防晒霜，学生党也能冲', sunscreen, 'number-swap', context);
    expect(swapped).toBeDefined();
    expect(checkEntities(swapped as string, sunscreen).unsupported.length).toBeGreaterThan(0);
    const entity = augmentTitle('夏天通勤必备的防晒霜', sunscreen, 'entity-swap', context);
    expect(checkEntities(entity as string, sunscreen).unsupported.map((item) => item.type)).toContain('product');
    expect(augmentTitle('夏天通勤必备的防晒霜', sunscreen, 'word-shuffle', context)).not.toBe('夏天通勤必备的防晒霜');
    expect(augmentTitle('ab', sunscreen, 'truncation', context)).toBeUndefined();
  });
});

describe('usability model', () => {
  it('ships default weights that pass faithful titles and fail planted mismatches', async () => {
    const model = createUsabilityRewardModel();
    expect(model.role).toBe('veto');
    const titles = [
      '夏天通勤必备的清爽防晒霜',
      '128元的防晒霜，学生党也能冲',
      '50元的防晒霜，学生党也能冲',
      '通勤5小时补涂一次',
    ];
    const scores = await model.scoreBatch(
      titles.map((title, index) => ({ id: String(index), title })),
      { note: sunscreen, config: {}, signal: new AbortController().signal },
    );
    expect(scores.map((score) => score.verdict)).toEqual(['pass', 'pass', 'fail', 'fail']);
    expect(scores[2]?.reasons).toContainEqual(expect.objectContaining({ code: 'entity-mismatch', span: '50元' }));
  });

  it('flags a title in the other language than the note, but not a Latin brand in a Chinese title', async () => {
    const wrong = (title: string, note: Note) => computeUsabilityFeatures(title, note).values.wrongLanguage;
    expect(wrong('Summer commute sunscreen', sunscreen)).toBe(1);
    expect(wrong('SPF50+防晒霜，上脸不油不闷', sunscreen)).toBe(0);
    expect(wrong('128元/50ml', sunscreen)).toBe(0);
    expect(wrong('每天都用的铸铁锅', skillet)).toBe(1);
    expect(wrong('A cast iron pan for every day', skillet)).toBe(0);
    const scores = await createUsabilityRewardModel().scoreBatch([{ id: '0', title: 'Summer commute sunscreen' }], {
      note: sunscreen,
      config: {},
      signal: new AbortController().signal,
    });
    expect(scores[0]?.verdict).toBe('fail');
    expect(scores[0]?.reasons).toContainEqual(expect.objectContaining({ code: 'wrong-language' }));
  });

  it('refuses weights from another feature set with CF_INVALID_CONFIG naming the field', () => {
    expect(() => parseUsabilityWeights({ ...createUsabilityWeightsWithFluency(), featureNames: ['x'] })).toThrow(
      expect.objectContaining({ code: 'CF_INVALID_CONFIG', message: expect.stringContaining('/featureNames') }),
    );
  });

  it('upgrades weights of an earlier feature set (before wrongLanguage, bareLabel, ...), with weight 0 for the new features', () => {
    const older = createUsabilityWeightsWithFluency();
    const olderWithoutWrongLanguage = {
      ...older,
      featureNames: older.featureNames.filter((name) => name !== 'wrongLanguage'),
      weights: older.weights.filter((_, index) => older.featureNames[index] !== 'wrongLanguage'),
    };
    for (const weights of [older, olderWithoutWrongLanguage]) {
      const parsed = parseUsabilityWeights(weights);
      expect(parsed.featureNames).toEqual([...usabilityFeatureNames]);
      usabilityFeatureNames.forEach((name, index) => {
        const was = weights.featureNames.indexOf(name);
        expect(parsed.weights[index]).toBe(was === -1 ? 0 : weights.weights[was]);
      });
    }
    // Known names out of order are another release, not an upgrade.
    expect(() => parseUsabilityWeights({ ...older, featureNames: [...older.featureNames].reverse() })).toThrow(
      expect.objectContaining({ code: 'CF_INVALID_CONFIG' }),
    );
  });

  it('rejects the junk the bare default model wrote: bare audience names, prompt echoes, the note title, Latin fragments, bare numbers, off-topic titles', async () => {
    const model = createUsabilityRewardModel();
    const junk = [
      '学生党',
      '12个不同的中文广告标题',
      sunscreen.title,
      '防晒霜B.m.a.b清爽',
      '128元',
      '小户型洗地机真的好用',
    ];
    const good = ['通勤两小时补涂一次，完全不黑', '128元的防晒霜，学生党也能冲'];
    const scores = await model.scoreBatch(
      [...junk, ...good].map((title, index) => ({ id: String(index), title })),
      { note: sunscreen, config: { fluency: false }, signal: new AbortController().signal },
    );
    expect(scores.map((score) => score.verdict)).toEqual([...junk.map(() => 'fail'), ...good.map(() => 'pass')]);
    const codes = scores.slice(0, junk.length).map((score) => score.reasons.map((reason) => reason.code));
    expect(codes[0]).toContain('bare-label');
    expect(codes[1]).toContain('bare-label');
    expect(codes[2]).toContain('copies-note-title');
    expect(codes[3]).toContain('foreign-fragment');
    expect(codes[4]).toContain('bare-number');
    expect(codes[5]).toContain('no-content-word');
    const english = await model.scoreBatch(
      [
        { id: '0', title: 'Parenthood' },
        { id: '1', title: 'Tech-enthusiast' },
      ],
      {
        note: skillet,
        config: { fluency: false },
        signal: new AbortController().signal,
      },
    );
    expect(english.map((score) => score.verdict)).toEqual(['fail', 'fail']);
  });

  it('trains on labelled titles with augmentation and reports held-out metrics', async () => {
    const positives = [
      '夏天通勤必备的清爽防晒霜',
      'SPF50+防晒霜，上脸不油不闷',
      '128元的防晒霜，学生党也能冲',
      '像乳液一样好推开的防晒霜',
    ].map((title) => ({ note: sunscreen, title }));
    const skilletPositives = [
      'A 26cm cast iron skillet for $35',
      'Eggs slide off this cast iron skillet',
      'The $35 pan that will outlive me',
    ].map((title) => ({ note: skillet, title }));
    const negatives = [
      { note: sunscreen, title: '199元的防晒霜学生党闭眼入' },
      { note: skillet, title: 'A 30cm skillet for $80' },
    ];
    const result = await trainUsabilityRM({
      positives: [...positives, ...skilletPositives],
      negatives,
      augment: ['number-swap', 'entity-swap'],
      holdoutNoteIds: ['en-010'],
      epochs: 800,
    });
    expect(result.counts.holdoutPositives).toBe(3);
    expect(result.counts.trainNegatives).toBeGreaterThan(1);
    expect(result.metrics.holdout.recall).toBeGreaterThanOrEqual(0.8);
    expect(result.metrics.holdout.precision).toBeGreaterThanOrEqual(0.8);
    expect(result.weights.weights[result.weights.featureNames.indexOf('unsupportedNumbers')]).toBeLessThan(0);
    expect(() => parseUsabilityWeights(result.weights)).not.toThrow();
  });
});
