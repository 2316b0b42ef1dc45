import { describe, expect, it } from 'vitest';
import { createNormaliseStage, normaliseText, toSimplified } from './normalise.js';
import { emptyStageStats } from './stage.js';
import { traditionalCharacters } from './traditional-simplified.js';
import { stripTrackingParameters } from './urls.js';

describe('normaliseText', () => {
  it('folds full-width ASCII with NFKC but keeps Chinese full-width punctuation', () => {
    expect(normaliseText('ＡＢＣ１２３，你好！').text).toBe('ABC123，你好！');
    expect(normaliseText('ＡＢＣ，你好', { cjkPunctuation: 'half-width' }).text).toBe('ABC,你好');
  });

  it('turns ASCII punctuation next to Han characters full-width by default', () => {
    expect(normaliseText('宝宝一岁,不太喜欢!').text).toBe('宝宝一岁，不太喜欢！');
    expect(normaliseText('比例 1:1, ok').text).toBe('比例 1:1, ok');
    expect(normaliseText('宝宝一岁,不太喜欢', { cjkPunctuation: 'keep' }).text).toBe('宝宝一岁,不太喜欢');
  });

  it('removes zero-width and control characters and collapses whitespace', () => {
    expect(normaliseText('  你\u200b好\u00ad \t 世界\u3000啊 \r\n\r\n\r\n\r\n下一段  ').text).toBe(
      '你好 世界 啊\n\n下一段',
    );
  });

  it('decodes HTML entities unless turned off', () => {
    expect(normaliseText('&#32431;&#x4e2d; A&amp;B').text).toBe('纯中 A&B');
    expect(normaliseText('&#32431;', { htmlEntities: false }).text).toBe('&#32431;');
  });

  it('converts traditional to simplified only when asked', () => {
    expect(normaliseText('這個東西很好用').text).toBe('這個東西很好用');
    expect(normaliseText('這個東西很好用', { traditionalToSimplified: true }).text).toBe('这个东西很好用');
    expect(toSimplified('乾隆').text).toBe('乾隆');
    expect(traditionalCharacters.length).toBe(954);
  });

  it('keeps, strips or counts emoji, 小红书 codes included', () => {
    const text = '好看😀👍🏻👨‍👩‍👧[笑哭R]';
    expect(normaliseText(text).text).toBe(text);
    expect(normaliseText(text, { emoji: 'strip' }).text).toBe('好看');
    const counted = normaliseText(text, { emoji: 'count' });
    expect(counted.emoji).toBe(4);
    expect(counted.text).toBe(text);
  });

  it('lists, extracts or removes hashtags, mentions and URLs', () => {
    const text = '今天 #好物分享# #穿搭[话题]# 和 #tag 找 @小红薯 看 https://a.cn/p?id=1&utm_source=x 。';
    const listed = normaliseText(text);
    expect(listed.hashtags).toEqual(['好物分享', '穿搭', 'tag']);
    expect(listed.text).toContain('#好物分享#');
    expect(listed.mentions).toEqual(['小红薯']);
    expect(listed.text).not.toContain('@小红薯');
    expect(listed.urls).toEqual(['https://a.cn/p?id=1']);
    expect(listed.text).not.toContain('https://');
    const extracted = normaliseText(text, { hashtags: 'extract', mentions: 'keep', urls: 'remove' });
    expect(extracted.text).toBe('今天 和 找 @小红薯 看 。');
    expect(extracted.urls).toEqual([]);
    expect(extracted.mentions).toEqual([]);
  });

  it('does not take an e-mail for a mention', () => {
    const result = normaliseText('联系 a.b@qq.com');
    expect(result.mentions).toEqual([]);
    expect(result.text).toBe('联系 a.b@qq.com');
  });
});

describe('normalise stage', () => {
  it('records metadata and counters', () => {
    const stage = createNormaliseStage({ emoji: 'count' });
    const stats = emptyStageStats();
    const result = stage.apply({ id: '1', text: '好物 #分享# 😀', metadata: { hashtags: ['原有'] } }, stats);
    expect(result).toMatchObject({ metadata: { hashtags: ['原有', '分享'], emoji: 1 } });
    expect(stats.counters).toMatchObject({ hashtags: 1, emoji: 1 });
  });
});

describe('stripTrackingParameters', () => {
  it('drops utm, spm and share parameters and keeps the rest', () => {
    expect(stripTrackingParameters('https://a.cn/p?id=1&utm_source=x&spm=2&share_from=y')).toEqual({
      url: 'https://a.cn/p?id=1',
      removed: 3,
    });
    expect(stripTrackingParameters('https://a.cn/p?id=1')).toEqual({ url: 'https://a.cn/p?id=1', removed: 0 });
    expect(stripTrackingParameters('not a url')).toEqual({ url: 'not a url', removed: 0 });
  });
});
