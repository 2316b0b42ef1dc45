import { describe, expect, it } from 'vitest';
import {
  createCharacterRatioFilter,
  createCjkRatioFilter,
  createLengthFilter,
  createLineFilter,
  createQualityFilters,
  createRepetitionFilter,
  createSpamFilter,
  duplicateFractions,
  ngramRepetition,
} from './filters.js';
import { type CorpusDocument, type DocumentStage, emptyStageStats, isDrop } from './stage.js';

const doc = (text: string): CorpusDocument => ({ id: 'd', text, metadata: {} });
const verdict = (stage: DocumentStage, text: string): string => {
  const result = stage.apply(doc(text), emptyStageStats());
  return isDrop(result) ? result.reason : 'kept';
};

describe('length filter', () => {
  const stage = createLengthFilter({ minCharacters: 5, maxCharacters: 8 });
  it('drops below the minimum and keeps at it (whitespace not counted)', () => {
    expect(verdict(stage, '一二三 四')).toBe('too-short');
    expect(verdict(stage, '一二三 四五')).toBe('kept');
  });
  it('keeps at the maximum and drops above it', () => {
    expect(verdict(stage, '一二三四五六七八')).toBe('kept');
    expect(verdict(stage, '一二三四五六七八九')).toBe('too-long');
  });
});

describe('CJK ratio filter', () => {
  const stage = createCjkRatioFilter({ minRatio: 0.5 });
  it('keeps at the ratio and drops below it', () => {
    expect(verdict(stage, '你好ab')).toBe('kept');
    expect(verdict(stage, '你好abc')).toBe('low-cjk-ratio');
  });
});

describe('character ratio filter', () => {
  const stage = createCharacterRatioFilter({ maxPunctuationRatio: 0.25, maxSymbolRatio: 0.25 });
  it('keeps at the punctuation share and drops above it', () => {
    expect(verdict(stage, '一二三！')).toBe('kept');
    expect(verdict(stage, '一二！！')).toBe('punctuation-ratio');
  });
  it('counts emoji as symbols', () => {
    expect(verdict(stage, '一二三😀')).toBe('kept');
    expect(verdict(stage, '一二😀😀')).toBe('symbol-ratio');
  });
});

describe('repetition filter', () => {
  it('measures duplicate lines by count and characters', () => {
    expect(duplicateFractions(['a', 'b', 'a', ''])).toEqual({ items: 1 / 3, characters: 1 / 3 });
  });

  it('drops on duplicate lines above the threshold, not at it', () => {
    const stage = createRepetitionFilter({
      maxDuplicateLineFraction: 0.25,
      maxDuplicateLineCharacterFraction: 1,
      minUnits: 1000,
    });
    expect(verdict(stage, '第一行\n第二行\n第三行\n第一行')).toBe('kept');
    expect(verdict(stage, '第一行\n第二行\n第一行\n第一行')).toBe('duplicate-lines');
  });

  it('skips line checks on texts with fewer lines than minLines', () => {
    const stage = createRepetitionFilter({ minLines: 4, minUnits: 1000 });
    expect(verdict(stage, '标题\n标题\n正文')).toBe('kept');
  });

  it('measures top and duplicated character n-grams', () => {
    expect(ngramRepetition('哈哈哈哈', 2)).toEqual({ top: 1, duplicate: 1, topCount: 3 });
    expect(ngramRepetition('今天天气很好', 2)).toEqual({ top: 0, duplicate: 0, topCount: 1 });
    expect(ngramRepetition('一二三四一二五六', 2)).toEqual({ top: 0.5, duplicate: 0.5, topCount: 2 });
    expect(ngramRepetition('ab cd ab cd', 2).top).toBeCloseTo(1);
  });

  it('drops on a frequent top n-gram above the threshold, not below it', () => {
    const stage = createRepetitionFilter({
      minUnits: 10,
      maxTopNgramFraction: { 2: 0.3 },
      maxDuplicateNgramFraction: {},
    });
    // "好吃" twice in 20 characters: 4/20 = 0.2 ≤ 0.3.
    expect(verdict(stage, '这家店的蛋糕很好吃面包也好吃服务员态度不')).toBe('kept');
    expect(verdict(stage, '好吃好吃好吃好吃好吃真的很好吃推荐大家来')).toBe('top-2-gram');
  });

  it('ignores a top n-gram seen fewer times than minTopNgramOccurrences', () => {
    const stage = createRepetitionFilter({
      minUnits: 5,
      maxTopNgramFraction: { 2: 0.3 },
      maxDuplicateNgramFraction: {},
    });
    // "比较" covers 6/19 > 0.3 but occurs only 3 times: kept at minimum 4, dropped at 3.
    expect(verdict(stage, '位置比较好，设施比较新，房间比较宽敞')).toBe('top-2-gram');
    const strict = createRepetitionFilter({
      minUnits: 5,
      maxTopNgramFraction: { 2: 0.3 },
      minTopNgramOccurrences: 4,
      maxDuplicateNgramFraction: {},
    });
    expect(verdict(strict, '位置比较好，设施比较新，房间比较宽敞')).toBe('kept');
  });

  it('drops on duplicated n-grams above the threshold, not below it', () => {
    const stage = createRepetitionFilter({
      minUnits: 10,
      maxTopNgramFraction: {},
      maxDuplicateNgramFraction: { 5: 0.5 },
    });
    expect(verdict(stage, '今天去了一家新开的咖啡店环境很好今天去了')).toBe('kept');
    expect(verdict(stage, '今天去了一家新开的店今天去了一家新开的店')).toBe('duplicate-5-grams');
  });
});

describe('line filter', () => {
  it('removes boilerplate lines C4-style and counts them', () => {
    const stats = emptyStageStats();
    const result = createLineFilter().apply(doc('好用的面霜推荐\n版权所有 翻印必究\n真的很好用'), stats);
    expect(result).toMatchObject({ text: '好用的面霜推荐\n真的很好用' });
    expect(stats.counters['boilerplate-lines-removed']).toBe(1);
    expect(verdict(createLineFilter(), '版权所有')).toBe('only-boilerplate');
    expect(verdict(createLineFilter(), 'Lorem ipsum dolor sit amet')).toBe('lorem-ipsum');
  });

  it('drops on short lines above the threshold, not at it', () => {
    const stage = createLineFilter({ minLines: 4, shortLineCharacters: 2, maxShortLineFraction: 0.5 });
    expect(verdict(stage, '好\n嗯\n这一行够长了\n这一行也够长')).toBe('kept');
    expect(verdict(stage, '好\n嗯\n啊\n这一行也够长')).toBe('short-lines');
  });

  it('drops on ellipsis lines above the threshold', () => {
    const stage = createLineFilter({ minLines: 4, maxEllipsisLineFraction: 0.5 });
    expect(verdict(stage, '第一行…\n第二行…\n第三行。\n第四行。')).toBe('kept');
    expect(verdict(stage, '第一行…\n第二行…\n第三行...\n第四行。')).toBe('ellipsis-lines');
  });

  it('checks terminal punctuation only when a minimum is set', () => {
    const text = '这是第一行\n这是第二行\n这是第三行\n这是第四行。';
    expect(verdict(createLineFilter(), text)).toBe('kept');
    expect(verdict(createLineFilter({ minTerminalPunctuationFraction: 0.25 }), text)).toBe('kept');
    expect(verdict(createLineFilter({ minTerminalPunctuationFraction: 0.3 }), text)).toBe('few-terminal-punctuation');
  });
});

describe('spam filter', () => {
  const stage = createSpamFilter({ minHits: 2 });
  it('keeps one hit and drops at two', () => {
    expect(verdict(stage, '这款面霜免费领取小样')).toBe('kept');
    expect(verdict(stage, '免费领取小样，点击链接')).toBe('spam-keywords');
  });
  it('counts contact placeholders as hits', () => {
    expect(verdict(stage, '免费领取 加 <WECHAT>')).toBe('spam-keywords');
  });
});

describe('createQualityFilters', () => {
  it('builds the enabled filters and leaves out the disabled ones', () => {
    const names = createQualityFilters({ spam: false, lines: false }).map((stage) => stage.name);
    expect(names).toEqual(['filter:length', 'filter:cjk-ratio', 'filter:character-ratios', 'filter:repetition']);
  });
});
