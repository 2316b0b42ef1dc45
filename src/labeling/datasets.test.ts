import { describe, expect, it } from 'vitest';
import { getAjv } from '../core/validation.js';
import { buildTitlesSchema } from '../generation/output-schema.js';
import { buildTitlesMessages } from '../generation/prompts/titles.js';
import { controlLabels, defaultAudienceTiers, defaultTitleStyles } from '../generation/styles.js';
import type { Note, ScoredCreative } from '../schemas/types.js';
import { renderDatasetCard } from './card.js';
import {
  buildSftExamples,
  preferencesFromForgeResults,
  preferencesFromGsb,
  preferencesFromRankedLists,
  toAlpacaRecord,
  toChatRecord,
  toCompletionRecord,
  toPreferenceRecord,
  toTextPreferenceRecord,
} from './datasets.js';
import type { LabelledNote } from './label-notes.js';
import { splitByNote, splitOf } from './split.js';

const note: Note = {
  id: 'zh-001',
  title: '夏天通勤必备的防晒霜',
  body: '清爽型防晒霜，SPF50+，128元。',
  lang: 'zh-CN',
};

function labelled(overrides: Partial<LabelledNote> = {}, titles = [note.title], styles = ['scenario']): LabelledNote {
  return {
    noteId: note.id,
    note,
    labels: { promotionTarget: '防晒霜', audienceTier: 'students', styles, titles, confidence: 1 },
    reachTier: 'interest',
    grounding: { grounded: true, method: 'exact' },
    flags: [],
    votes: { requested: 3, valid: 3 },
    cached: false,
    provenance: { backendId: 'mock', promptVersion: 'labels-v1', contentHash: 'x', labelledAt: '2026-01-01T00:00:00Z' },
    ...overrides,
  };
}

// The sample note is Chinese: the forge shows it the controls' Chinese labels.
const zhLabels = controlLabels('zh', defaultTitleStyles, defaultAudienceTiers);
const validatorFor = (count: number, controls: { promotionTarget?: string; styleIds?: string[] } = {}) =>
  getAjv().compile(
    buildTitlesSchema({
      count,
      styleIds: (controls.styleIds ?? defaultTitleStyles.map((style) => style.id)).map(zhLabels.style),
      maxTitleLength: 20,
      minTitleLength: 4,
      promotionTarget: controls.promotionTarget,
      audienceTiers: defaultAudienceTiers.map(zhLabels.tier),
    }),
  );

describe('buildSftExamples', () => {
  it('builds unified, keyword and style examples per title and leaves out what generation cannot produce', () => {
    const two = labelled(
      {},
      [note.title, '防晒霜值得买吗？', '这是一个超过二十个字的非常非常非常长的广告标题啊'],
      ['scenario', 'question', 'how-to'],
    );
    const flagged = labelled({ noteId: 'flagged', flags: ['ungrounded-target'] });
    const { examples, skipped } = buildSftExamples([two, flagged]);
    expect(examples.map((example) => example.kind)).toEqual(['unified', 'keyword', 'style', 'keyword', 'style']);
    expect(skipped).toEqual({ 'title-length': 1, flagged: 1 });
    expect(examples[0]?.output).toEqual({
      promotionTarget: '防晒霜',
      audienceTier: 'students',
      titles: [
        { title: note.title, style: 'scenario' },
        { title: '防晒霜值得买吗？', style: 'question' },
      ],
    });
    expect(examples[1]?.controls).toEqual({ promotionTarget: '防晒霜' });
    expect(examples[2]?.controls).toEqual({ styles: ['scenario'] });
    expect(buildSftExamples([flagged], { includeFlagged: true, kinds: ['unified'] }).examples).toHaveLength(1);
  });
});

describe('chat and Alpaca records', () => {
  const { examples } = buildSftExamples([labelled({}, [note.title, '防晒霜值得买吗？'], ['scenario', 'question'])]);

  it('chat: system, user, assistant; the prompt is the forge prompt and the answer matches its schema', () => {
    const unified = toChatRecord(examples[0]!);
    expect(Object.keys(unified)).toEqual(['messages']);
    expect(unified.messages.map((message) => message.role)).toEqual(['system', 'user', 'assistant']);
    const forgePrompt = buildTitlesMessages({
      note,
      language: 'zh',
      count: 2,
      styles: defaultTitleStyles.map((style) => ({ ...style, id: zhLabels.style(style.id) })),
      audienceTiers: defaultAudienceTiers.map(zhLabels.tier),
      avoid: [],
      maxTitleLength: 20,
    });
    expect(unified.messages.slice(0, 2)).toEqual(forgePrompt);
    const answer = JSON.parse(unified.messages[2]?.content ?? '');
    expect(Object.keys(answer)).toEqual(['promotionTarget', 'audienceTier', 'titles']);
    expect(validatorFor(2)(answer)).toBe(true);

    const keyword = toChatRecord(examples[1]!);
    expect(keyword.messages[1]?.content).toContain('推广对象固定为：防晒霜');
    expect(validatorFor(1, { promotionTarget: '防晒霜' })(JSON.parse(keyword.messages[2]?.content ?? ''))).toBe(true);
    const style = toChatRecord(examples[2]!);
    expect(style.messages[1]?.content).toContain('场景代入（');
    expect(style.messages[1]?.content).not.toContain('提问（');
    expect(validatorFor(1, { styleIds: ['scenario'] })(JSON.parse(style.messages[2]?.content ?? ''))).toBe(true);
  });

  it('Alpaca: instruction, input, output', () => {
    const record = toAlpacaRecord(examples[0]!);
    const chat = toChatRecord(examples[0]!);
    expect(record).toEqual({
      instruction: chat.messages[0]?.content,
      input: chat.messages[1]?.content,
      output: chat.messages[2]?.content,
    });
  });
  it('completion: the prompt rendered as for a base model, the JSON answer as the completion', () => {
    const chat = toChatRecord(examples[0]!);
    const record = toCompletionRecord(examples[0]!);
    expect(Object.keys(record)).toEqual(['prompt', 'completion']);
    expect(record.prompt).toBe(`${chat.messages[0]?.content}\n\n${chat.messages[1]?.content.trim()}\n\nAnswer:\n`);
    expect(record.completion).toBe(chat.messages[2]?.content);
  });
});

function creative(title: string, accepted: boolean, rank: number, target = '防晒霜'): ScoredCreative {
  return {
    creative: {
      id: `${note.id}#${rank}`,
      noteId: note.id,
      title,
      style: 'question',
      controls: { promotionTarget: target, audienceTier: 'students' },
    },
    scores: [],
    accepted,
    rank,
  };
}

describe('preference pairs', () => {
  it('TRL standard shape: prompt, chosen, rejected as strings', () => {
    const { examples } = preferencesFromForgeResults([
      { note, creatives: [creative('防晒霜值得买吗？', true, 1), creative('防晒霜防晒霜防晒霜', false, 2)] },
    ]);
    const record = toTextPreferenceRecord(examples[0]!);
    expect(Object.keys(record)).toEqual(['prompt', 'chosen', 'rejected']);
    expect(record.prompt.endsWith('\n\nAnswer:\n')).toBe(true);
    expect(JSON.parse(record.chosen).titles[0].title).toBe('防晒霜值得买吗？');
    expect(JSON.parse(record.rejected).titles[0].title).toBe('防晒霜防晒霜防晒霜');
  });

  it('TRL conversational shape: prompt, chosen, rejected only; one shared prompt', () => {
    const { examples } = preferencesFromForgeResults([
      { note, creatives: [creative('防晒霜值得买吗？', true, 1), creative('防晒霜防晒霜防晒霜', false, 2)] },
    ]);
    expect(examples).toHaveLength(1);
    const record = toPreferenceRecord(examples[0]!);
    expect(Object.keys(record)).toEqual(['prompt', 'chosen', 'rejected']);
    expect(record.prompt.map((message) => message.role)).toEqual(['system', 'user']);
    expect(record.chosen.map((message) => message.role)).toEqual(['assistant']);
    expect(record.rejected.map((message) => message.role)).toEqual(['assistant']);
    expect(record.prompt[1]?.content).toContain('推广对象固定为：防晒霜');
    expect(JSON.parse(record.chosen[0]?.content ?? '').titles).toEqual([{ title: '防晒霜值得买吗？', style: '提问' }]);
    expect(JSON.parse(record.rejected[0]?.content ?? '').titles[0].title).toBe('防晒霜防晒霜防晒霜');
    const validate = validatorFor(1, { promotionTarget: '防晒霜' });
    expect(validate(JSON.parse(record.chosen[0]?.content ?? ''))).toBe(true);
    expect(validate(JSON.parse(record.rejected[0]?.content ?? ''))).toBe(true);
  });

  it('reward-model pairs: accepted × rejected, capped, skipping mismatched controls', () => {
    const creatives = [
      creative('第一个好标题好', true, 1),
      creative('第二个好标题好', true, 2),
      creative('第一个坏标题坏', false, 3),
      creative('第二个坏标题坏', false, 4),
      creative('别的推广对象啊', false, 5, '面霜'),
    ];
    const all = preferencesFromForgeResults([{ note, creatives }]);
    expect(all.examples).toHaveLength(4);
    expect(all.skipped).toEqual({ 'mismatched-controls': 2 });
    expect(preferencesFromForgeResults([{ note, creatives }], { maxPairsPerNote: 3 }).examples).toHaveLength(3);
    expect(preferencesFromForgeResults([{ note, creatives: creatives.slice(0, 2) }]).skipped).toEqual({
      'no-rejected': 1,
    });
  });

  it('ranked lists give K(K-1)/2 pairs, widest gaps first', () => {
    const titles = ['最好的标题一', '第二的标题二', '第三的标题三', '最差的标题四'].map((title) => ({
      title,
      style: 'emotional',
    }));
    const list = { note, promotionTarget: '防晒霜', audienceTier: 'students', titles };
    const { examples } = preferencesFromRankedLists([list]);
    expect(examples).toHaveLength(6);
    expect(examples[0]?.chosen.titles[0]?.title).toBe('最好的标题一');
    expect(examples[0]?.rejected.titles[0]?.title).toBe('最差的标题四');
    expect(preferencesFromRankedLists([list], { maxPairsPerNote: 2 }).examples).toHaveLength(2);
  });

  it('GSB: good prefers the system, bad the baseline, same gives nothing', () => {
    const system = [{ title: '系统写的标题一', style: 'question' }];
    const baseline = [
      { title: '基线的标题一个', style: 'scenario' },
      { title: '基线的标题两个', style: 'scenario' },
    ];
    const base = { note, promotionTarget: '防晒霜', audienceTier: 'students', system, baseline };
    const { examples, skipped } = preferencesFromGsb([
      { ...base, verdict: 'good' },
      { ...base, verdict: 'bad' },
      { ...base, verdict: 'same' },
    ]);
    expect(skipped).toEqual({ same: 1 });
    expect(examples.map((example) => example.chosen.titles[0]?.title)).toEqual(['系统写的标题一', '基线的标题一个']);
    expect(examples.every((example) => example.rejected.titles.length === 1)).toBe(true);
  });
});

describe('split', () => {
  const ids = Array.from({ length: 2000 }, (_, index) => `note-${index}`);

  it('is deterministic, order-independent and close to the fraction', () => {
    const first = ids.map((id) => splitOf(id));
    expect(ids.map((id) => splitOf(id))).toEqual(first);
    const reversed = [...ids].reverse().map((id) => splitOf(id));
    expect(reversed.reverse()).toEqual(first);
    const share = first.filter((split) => split === 'validation').length / ids.length;
    expect(share).toBeGreaterThan(0.08);
    expect(share).toBeLessThan(0.12);
    expect(ids.map((id) => splitOf(id, { seed: 'other' }))).not.toEqual(first);
    expect(ids.every((id) => splitOf(id, { validationFraction: 0 }) === 'train')).toBe(true);
    expect(() => splitOf('x', { validationFraction: 2 })).toThrow(/validationFraction/);
  });

  it('keeps every example of a note on one side', () => {
    const items = ids.slice(0, 200).flatMap((id) => [{ id }, { id }, { id }]);
    const parts = splitByNote(items, (item) => item.id, { validationFraction: 0.3 });
    const trainIds = new Set(parts.train.map((item) => item.id));
    expect(parts.validation.some((item) => trainIds.has(item.id))).toBe(false);
    expect(parts.train.length + parts.validation.length).toBe(600);
  });
});

describe('renderDatasetCard', () => {
  it('shows counts per split and kind, label distributions and what was left out', () => {
    const card = renderDatasetCard({
      title: 'Test SFT',
      format: 'chat JSONL',
      splits: {
        train: { examples: 7, notes: 3, byKind: { unified: 3, keyword: 4 } },
        validation: { examples: 2, notes: 1, byKind: { unified: 1, keyword: 1 } },
      },
      labelled: [
        labelled(),
        labelled({ noteId: 'b', grounding: { grounded: false, method: 'none' }, flags: ['ungrounded-target'] }),
      ],
      skipped: { flagged: 1 },
      examples: [{ messages: [] }],
      split: { validationFraction: 0.1, seed: 'copyforge' },
    });
    expect(card).toContain('| train | 7 | 3 |');
    expect(card).toContain('| validation | 2 | 1 |');
    expect(card).toContain('| total | 9 | 4 |');
    expect(card).toContain('| keyword | 4 | 1 |');
    expect(card).toContain('grounded in the note: 1 (50.0%)');
    expect(card).toContain('| students | 2 (100.0%) |');
    expect(card).toContain('| ungrounded-target | 1 (50.0%) |');
    expect(card).toContain('| flagged | 1 |');
    expect(card).toContain('"messages": []');
  });
});
