import { describe, expect, it } from 'vitest';
import plugin, { type ComplianceConfig, checkCompliance, complianceRewardModel } from './index.js';

const spans = (title: string, config: ComplianceConfig = {}) =>
  checkCompliance(title, config).reasons.map((reason) => reason.span);

describe('compliance plugin', () => {
  it('is a v1 plugin contributing one veto reward model', () => {
    expect(plugin).toMatchObject({ specificationVersion: 'v1', copyforge: '^0.1.0' });
    expect(plugin.rewardModels?.map((model) => [model.name, model.role])).toEqual([['compliance', 'veto']]);
  });

  it('fails absolute terms in Chinese and English and quotes them', () => {
    expect(spans('全网最好用的防晒霜')).toEqual(['最好用']);
    expect(spans('销量第一的国家级洗面奶')).toEqual(['第一', '国家级']);
    expect(spans('100%不脱妆')).toEqual(['100%']);
    expect(spans('The best skillet, guaranteed')).toEqual(['best', 'guaranteed']);
    expect(spans('The #1 keyboard, No.1 in sales')).toEqual(['#1', 'No.1']);
    expect(checkCompliance('The best skillet').verdict).toBe('fail');
  });

  it('leaves time words and ordinals alone', () => {
    expect(checkCompliance('最近换了这款防晒霜').verdict).toBe('pass');
    expect(checkCompliance('成都第一天吃什么').verdict).toBe('pass');
    expect(checkCompliance('跑步新手的第一双跑鞋').verdict).toBe('pass');
    expect(checkCompliance("A beginner's first road bike")).toEqual({ score: 1, verdict: 'pass', reasons: [] });
  });

  it('fails medical efficacy and guaranteed-return claims', () => {
    expect(checkCompliance('三天根治痘痘').reasons[0]).toMatchObject({ code: 'medical-claim', span: '根治' });
    expect(checkCompliance('This balm cures eczema').reasons[0]).toMatchObject({
      code: 'medical-claim',
      span: 'cures',
    });
    expect(checkCompliance('稳赚不赔的理财').reasons[0]).toMatchObject({ code: 'guaranteed-return', span: '稳赚' });
    expect(checkCompliance('A risk-free investment').reasons[0]).toMatchObject({ span: 'risk-free' });
  });

  it('honours configured categories, extra terms, allowed phrases and penalty', () => {
    expect(checkCompliance('三天根治痘痘', { categories: ['absolute'] }).verdict).toBe('pass');
    expect(spans('秒杀全网的口红', { extraTerms: ['秒杀全网'] })).toEqual(['秒杀全网']);
    expect(checkCompliance('最新款耳机', { allowedPhrases: ['最新款'] }).verdict).toBe('pass');
    expect(checkCompliance('最好 最佳', { penalty: 0.25 }).score).toBe(0.5);
  });

  it('scores a batch in order through the reward model contract', async () => {
    const scores = await complianceRewardModel.scoreBatch(
      [
        { id: 'a', title: '夏天通勤必备的防晒霜' },
        { id: 'b', title: '顶级防晒霜' },
      ],
      { note: { id: 'n', title: '', body: 'x' }, config: {}, signal: new AbortController().signal },
    );
    expect(scores.map((score) => score.verdict)).toEqual(['pass', 'fail']);
  });
});
