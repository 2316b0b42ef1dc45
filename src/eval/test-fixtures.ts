// Test support only (not exported from the package): deterministic forge-like results
// for the sample notes, so report tests and the browser check have realistic input.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { createSeededRandom, randomInteger } from '../core/random.js';
import type { Note, RewardScore, ScoredCreative } from '../schemas/types.js';
import type { GsbVerdict } from './gsb.js';
import type { StoredJudgement, SystemNoteResult } from './inputs.js';
import { extractSalientItems } from './salient.js';

/** The sample notes shipped in `data/sample-notes.jsonl`. */
export function loadSampleNotes(): Note[] {
  const path = resolve(import.meta.dirname, '../../data/sample-notes.jsonl');
  return readFileSync(path, 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Note);
}

const zhTemplates = [
  '{a}必看：{t}',
  '{q}就能搞定的{a}',
  '后悔没早点知道的{a}',
  '{b}真实体验分享',
  '{a}党闭眼入',
  '亲测{q}，{b}太香了',
  '{t}，看这一篇就够',
  '我的{a}清单',
  '{b}避坑指南',
  '为什么大家都在用{b}',
  '{a}新手第一次就选对',
  '{t}（附清单）',
];
const enTemplates = [
  '{a}: {t}',
  '{q} that changed my {a}',
  'Why I switched to this {b}',
  'The {b} worth every penny',
  '{t} (honest review)',
  'I tried {b} for a month',
  'Stop scrolling: {q} {a} win',
  'My {a} setup, explained',
  'What nobody tells you about {b}',
  '{a} on a budget: {q}',
  'The only {b} guide you need',
  '{t}, and what I learned',
];

function score(rewardModel: string, value: number, threshold: number): RewardScore {
  const rounded = Math.round(value * 1000) / 1000;
  return {
    rewardModel,
    version: '1.0.0',
    score: rounded,
    verdict: rounded >= threshold ? 'pass' : 'fail',
    reasons: rounded >= threshold ? [] : [{ code: `${rewardModel}-low`, message: `${rewardModel} below ${threshold}` }],
  };
}

/** Forge-like results: 12 scored creatives per note, seeded. */
export function sampleSystemResults(notes: readonly Note[], seed = 7): SystemNoteResult[] {
  const random = createSeededRandom(seed);
  return notes.map((note) => {
    const items = extractSalientItems(note);
    const pick = (kind: string, fallback: string) => {
      const options = items.filter((item) => item.kind === kind).map((item) => item.text);
      return options.length === 0 ? fallback : (options[randomInteger(random, options.length)] ?? fallback);
    };
    const zh = (note.lang ?? '').startsWith('zh');
    const templates = zh ? zhTemplates : enTemplates;
    const creatives: ScoredCreative[] = templates.map((template, index) => {
      const title = template
        .replace('{t}', note.title)
        .replace('{a}', pick('hashtag', note.tags?.[0] ?? ''))
        .replace('{b}', pick('hashtag', note.tags?.[1] ?? ''))
        .replace('{q}', pick('quantity', zh ? '一次' : 'one trick'));
      const usability = 0.35 + 0.65 * random();
      const attractiveness = random();
      const compliance = 0.5 + 0.5 * random() - (random() < 0.12 ? 0.45 : 0);
      const scores = [
        score('usability', usability, 0.5),
        score('attractiveness', attractiveness, 0.3),
        score('compliance', compliance, 0.5),
      ];
      const accepted = scores.every((entry) => entry.verdict === 'pass');
      return {
        creative: {
          id: `${note.id}-t${index + 1}`,
          noteId: note.id,
          title,
          style: index % 2 === 0 ? 'benefit' : 'curiosity',
          controls: {
            promotionTarget: note.tags?.[0] ?? note.title,
            audienceTier: zh ? '年轻白领' : 'young professionals',
          },
        },
        scores,
        accepted,
      };
    });
    return { noteId: note.id, note, creatives };
  });
}

/** Seeded judge verdicts: roughly 55% good, 25% same, 20% bad. */
export function sampleJudgements(results: readonly SystemNoteResult[], seed = 7): StoredJudgement[] {
  const random = createSeededRandom(seed + 1);
  return results.map((result) => {
    const draw = random();
    const verdict: GsbVerdict = draw < 0.55 ? 'good' : draw < 0.8 ? 'same' : 'bad';
    return { id: result.noteId, noteId: result.noteId, verdict };
  });
}
