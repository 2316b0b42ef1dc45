import { describe, expect, it } from 'vitest';
import type { Note } from '../schemas/types.js';
import { distinctN, diversityReport, novelty, selfBleu, sentenceBleu } from './diversity.js';
import { coverage, extractSalientItems } from './salient.js';
import { tokenizeForEvaluation } from './text.js';

describe('tokenizeForEvaluation', () => {
  it('splits CJK into characters and Latin into lower-cased words, after NFKC', () => {
    expect(tokenizeForEvaluation('SPF50+ 防晒霜')).toEqual(['spf50', '防', '晒', '霜']);
    expect(tokenizeForEvaluation('５０ｍｌ, Doesn’t LEAK!')).toEqual(['50ml', "doesn't", 'leak']);
    expect(tokenizeForEvaluation('  ，。!! ')).toEqual([]);
  });
});

describe('distinctN', () => {
  it('counts Latin word n-grams (hand-computed)', () => {
    // words: the red bag | the blue bag → 6 unigrams, distinct {the, red, bag, blue} = 4 → 4/6
    expect(distinctN(['the red bag', 'the blue bag'], 1)).toEqual({ distinct: 4, total: 6, ratio: 4 / 6 });
    // bigrams: the red, red bag, the blue, blue bag → all 4 distinct → 1
    expect(distinctN(['the red bag', 'the blue bag'], 2).ratio).toBe(1);
  });

  it('counts CJK character n-grams (hand-computed)', () => {
    // 防晒霜推荐 + 防晒霜测评: 10 characters, distinct 防 晒 霜 推 荐 测 评 = 7 → 0.7
    expect(distinctN(['防晒霜推荐', '防晒霜测评'], 1)).toEqual({ distinct: 7, total: 10, ratio: 0.7 });
    // bigrams: 防晒 晒霜 霜推 推荐 | 防晒 晒霜 霜测 测评 → 8 in all, 防晒 and 晒霜 repeat → 6/8
    expect(distinctN(['防晒霜推荐', '防晒霜测评'], 2)).toEqual({ distinct: 6, total: 8, ratio: 0.75 });
  });

  it('is null without n-grams and rejects a bad n', () => {
    expect(distinctN(['one'], 2).ratio).toBeNull();
    expect(() => distinctN(['a b'], 0)).toThrow(RangeError);
  });
});

describe('selfBleu (BLEU-4, uniform weights, Chen & Cherry method 1)', () => {
  it('matches the hand computation on a CJK pair', () => {
    // hypothesis 防晒霜推荐 vs reference 防晒霜测评, characters as tokens:
    //   p1 = 3/5 (防 晒 霜), p2 = 2/4 (防晒 晒霜), p3 = 1/3 (防晒霜),
    //   p4 = 0/2 → method 1: (0 + 0.1) / 2 = 0.05; equal lengths → BP = 1
    //   BLEU = (0.6 · 0.5 · 0.3333 · 0.05)^(1/4) = 0.005^(1/4) = 0.265915
    // the pair is symmetric, so self-BLEU = 0.265915 (NLTK 3.10.4 sentence_bleu agrees: 0.26591479484724945)
    expect(selfBleu(['防晒霜推荐', '防晒霜测评'])).toBeCloseTo(0.005 ** 0.25, 12);
    expect(selfBleu(['防晒霜推荐', '防晒霜测评'])).toBeCloseTo(0.26591479484724945, 12);
  });

  it('matches NLTK sentence_bleu(method1) on CJK and English sets', () => {
    // Reference values from NLTK 3.10.4: mean of sentence_bleu(others, each, smoothing_function=method1)
    expect(selfBleu(['通勤防晒霜推荐', '通勤防晒霜测评', '夏天防晒不油腻'])).toBeCloseTo(0.4331432421561099, 12);
    expect(selfBleu(['the cat sat on the mat', 'the cat is on the mat', 'a dog sat on a log'])).toBeCloseTo(
      0.20871480639474413,
      12,
    );
    // short hypotheses (p4 = 0.1 / max(1, 0)) and one with no unigram match (BLEU = 0)
    expect(selfBleu(['best bag', 'best travel bag ever', 'zzz'])).toBeCloseTo(0.09112407340810967, 12);
  });

  it('applies the brevity penalty against the closest reference length', () => {
    // hypothesis a b (2 tokens) vs reference a b c d (4): p1 = 1, p2 = 1, p3 = 0.1/1, p4 = 0.1/1
    //   BP = exp(1 − 4/2) = e^-1; BLEU = e^-1 · (1 · 1 · 0.1 · 0.1)^(1/4) = e^-1 · 0.316228
    expect(sentenceBleu([['a', 'b', 'c', 'd']], ['a', 'b'])).toBeCloseTo(Math.exp(-1) * 0.01 ** 0.25, 12);
  });

  it('is null with fewer than two titles, lower for more diverse sets', () => {
    expect(selfBleu(['only one'])).toBeNull();
    const similar = selfBleu(['cheap travel backpack', 'cheap travel backpack deal', 'cheap travel backpack now']);
    const varied = selfBleu(['cheap travel backpack', 'a week in one bag', 'fits under every seat']);
    expect(similar).not.toBeNull();
    expect(varied as number).toBeLessThan(similar as number);
  });
});

const sunscreen: Note = {
  id: 'n1',
  title: '夏天通勤防晒',
  body: '这款防晒霜SPF50+，价格128元。防晒霜质地清爽，防晒霜不油。',
  tags: ['防晒', '通勤'],
};

describe('coverage', () => {
  it('finds the salient items of a CJK note (hand-computed)', () => {
    // hashtags: 防晒, 通勤; quantity: 128元 (the 50 of SPF50 is glued to letters, so it is not one);
    // brand: SPF50+; keywords: CJK runs 这款防晒霜 | 价格 | 元 | 防晒霜质地清爽 | 防晒霜不油 give
    //   防晒 ×3, 晒霜 ×3, 款防, 价格, 霜质, 质地, 清爽 ×1 (这/地/不 are stop characters);
    //   count ≥ 2 → 防晒 (already a hashtag, merged) and 晒霜.
    const items = extractSalientItems(sunscreen);
    expect(items.map((item) => `${item.kind}:${item.text}`)).toEqual([
      'hashtag:防晒',
      'hashtag:通勤',
      'quantity:128元',
      'brand:SPF50+',
      'keyword:晒霜',
    ]);
    // title 1 has 通勤, 防晒, 晒霜; title 2 has 128 and 防晒; nothing has SPF50 → 4 / 5
    const result = coverage(sunscreen, ['通勤党必入的防晒霜', '128块搞定夏日防晒']);
    expect(result.ratio).toBe(0.8);
    expect(result.covered.map((item) => item.text)).not.toContain('SPF50+');
  });

  it('finds quantities, prices, brands and keywords in English', () => {
    const note: Note = {
      id: 'e1',
      title: 'Budget keyboard',
      body: 'This 75% keyboard costs $59. It pairs over Bluetooth with my iPhone, and the keyboard is quiet.',
      tags: ['tech'],
    };
    const texts = extractSalientItems(note).map((item) => `${item.kind}:${item.text}`);
    expect(texts).toEqual([
      'hashtag:tech',
      'quantity:75%',
      'quantity:$59',
      'brand:Bluetooth',
      'brand:iPhone',
      'keyword:keyboard',
    ]);
    // '59' covers $59, 'iphone' covers iPhone (case-insensitive); 75, tech, Bluetooth, keyboard missing → 2/6
    expect(coverage(note, ['A $59 pick for iphone users']).ratio).toBeCloseTo(2 / 6, 12);
  });

  it('is null for a note without salient items', () => {
    expect(coverage({ id: 'x', title: '', body: 'ok' }, ['anything']).ratio).toBeNull();
  });
});

describe('novelty', () => {
  it('counts title n-grams absent from the original title (CJK, hand-computed)', () => {
    // original 夏天通勤防晒 → characters {夏 天 通 勤 防 晒}
    // 通勤党必入的防晒霜: new 党 必 入 的 霜 = 5 of 9; 128块搞定夏日防晒 → [128 块 搞 定 夏 日 防 晒]: new 128 块 搞 定 日 = 5 of 8
    expect(novelty(['通勤党必入的防晒霜', '128块搞定夏日防晒'], '夏天通勤防晒', 1)).toBeCloseTo(10 / 17, 12);
    // original bigrams {夏天 天通 通勤 勤防 防晒}; title 1: 8 bigrams, 通勤 and 防晒 old → 6 new;
    // title 2: 7 bigrams, 防晒 old → 6 new → 12 / 15
    expect(novelty(['通勤党必入的防晒霜', '128块搞定夏日防晒'], '夏天通勤防晒', 2)).toBeCloseTo(0.8, 12);
  });

  it('works on words for Latin text and is null without an original title', () => {
    // best travel backpack: "travel" and "backpack" are in the original title, "best" is new → 1/3
    expect(novelty(['best travel backpack'], 'My travel backpack', 1)).toBeCloseTo(1 / 3, 12);
    expect(novelty(['anything'], '', 1)).toBeNull();
  });
});

describe('diversityReport', () => {
  it('scores each note and averages over the notes where a metric is defined', () => {
    const report = diversityReport([
      { noteId: 'n1', note: sunscreen, titles: ['通勤党必入的防晒霜', '128块搞定夏日防晒'] },
      { noteId: 'n2', titles: ['the red bag', 'the blue bag'] },
    ]);
    expect(report.perNote).toHaveLength(2);
    expect(report.perNote[0]?.coverage).toBe(0.8);
    expect(report.perNote[1]?.coverage).toBeNull();
    expect(report.mean.coverage).toBe(0.8);
    // n1: 9 + 8 = 17 tokens, 防 and 晒 repeat → 15 distinct; n2: 4 / 6 (see distinctN above)
    expect(report.mean.distinct1).toBeCloseTo((15 / 17 + 4 / 6) / 2, 12);
    expect(report.titleCount).toBe(4);
    // pooled distinct-1: 17 tokens (15 distinct) + 6 words (4 distinct) → 19 / 23
    expect(report.pooledDistinct1).toBeCloseTo(19 / 23, 12);
  });
});
