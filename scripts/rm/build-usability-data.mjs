#!/usr/bin/env node
// Builds the usability RM's training and validation sets from what we wrote by hand:
//   - data/rm/usability-labelled.jsonl and data/rm/usability-junk.jsonl (sample notes;
//     hand-labelled usable and junk titles),
//   - the SFT corpus (data/sft/notes): its hand-written titles are usable titles, and junk of
//     the kinds the default model produced is made from each note (augmented negatives):
//     a bare audience or style name, another domain's title (off-topic), the note's own
//     title, a Latin fragment in a Chinese title, a bare price or number, and a shortcoming
//     the note admits copied out as the title (`过减速带有点颠`, `the fan is a bit loud`).
// The corpus's train notes go to the training file, its validation notes (never trained on)
// to the validation file. Usage:
//   node scripts/rm/build-usability-data.mjs <out-dir>
// writes <out-dir>/train.jsonl and <out-dir>/validation.jsonl ({note, title, label, kind}).
import { readFileSync } from 'node:fs';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isValidationNote, lintRow, notesDirectory, readCorpusFile } from '../sft/lint-corpus.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const out = process.argv[2];
if (!out) throw new Error('usage: build-usability-data.mjs <out-dir>');

// A small seeded generator (mulberry32), so the data is the same on every run.
function random(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const next = random(20261201);
const pick = (items) => items[Math.floor(next() * items.length)];

const tierNames = {
  zh: [
    '学生党',
    '上班族',
    '新手爸妈',
    '家庭',
    '长辈',
    '健身人群',
    '旅行者',
    '养宠人',
    '居家达人',
    '数码爱好者',
    '大众',
  ],
  en: [
    'Students',
    'Young professionals',
    'New parents',
    'Families',
    'Seniors',
    'Fitness enthusiasts',
    'Travellers',
    'Pet owners',
    'Home-makers',
    'Tech-enthusiasts',
    'Parenthood',
    'Broad audience',
  ],
};
const styleNames = {
  zh: ['提问', '数字清单', '情绪共鸣', '干货教程', '前后对比', '场景代入'],
  en: ['Question', 'Number list', 'How-to', 'Scenario'],
};
const fragments = ['B.m.a.b', 'Xq', 'kT-9', 'Zvo', 'P.p', 'Mlk', 'QwR', 'Jx.2'];

const rows = [];
for (const file of (await readdir(notesDirectory)).filter((name) => name.endsWith('.jsonl')).sort()) {
  for (const { row } of readCorpusFile(join(notesDirectory, file)).rows) {
    if ((await lintRow(row)).length === 0) rows.push(row);
  }
}
const language = (note) => (note.lang === 'en' ? 'en' : 'zh');
const domain = (note) => note.id.split('-')[1];

function junkFor(row) {
  const { note } = row;
  const lang = language(note);
  const junk = [];
  junk.push({ title: pick([...tierNames[lang], ...styleNames[lang]]), kind: 'synthetic-bare-label' });
  const other = pick(
    rows.filter((candidate) => domain(candidate.note) !== domain(note) && language(candidate.note) === lang),
  );
  junk.push({ title: pick(other.label.titles).title, kind: 'synthetic-off-topic' });
  if (note.title.trim().length >= 4) junk.push({ title: note.title.trim(), kind: 'synthetic-note-title' });
  if (lang === 'zh') {
    const title = pick(row.label.titles).title;
    const at = 1 + Math.floor(next() * Math.max(1, [...title].length - 2));
    junk.push({
      title: [...title].slice(0, at).join('') + pick(fragments) + [...title].slice(at).join(''),
      kind: 'synthetic-latin-fragment',
    });
  }
  const price = `${note.title}\n${note.body}`.match(
    /\d+(?:\.\d+)?\s?(?:元|块|ml|g|kg|cm|mm|寸|小时|分钟|天|\$|%|mAh|L)?/u,
  );
  if (price) junk.push({ title: price[0], kind: 'synthetic-bare-number' });
  return junk;
}

// Clauses where the note admits a shortcoming, cut at punctuation; the small model copies
// them out as titles, which reads as an ad against the product. This list is wider and
// written apart from the reward model's own `statesDownside` markers.
const downsideClause = {
  zh: /缺点|槽点|不足|鸡肋|踩雷|翻车|失望|可惜|一般|有点|不够|不太|偏贵|偏重|略贵|略重|太贵|太重|太吵|卡顿|闷热/u,
  en: /\b(?:downsides?|drawbacks?|cons|complaint|not great|mediocre|disappointing|overpriced|too loud|too heavy|too small|noisy|flimsy|only gripe|annoying)\b/iu,
};
const turn = { zh: /但|不过|却|还是|值得|真香|能接受|？|\?/u, en: /\b(?:but|still|worth|yet|though|although)\b|\?/iu };

function downsideFor(row) {
  const { note } = row;
  const lang = language(note);
  const clauses = note.body
    .split(lang === 'zh' ? /[，。！？；：\n]/u : /(?<=[.!?;])\s+|\n/u)
    .map((clause) =>
      clause
        .trim()
        .replace(/^[-*\d.、)）\s]+/u, '')
        .replace(/[.;,]+$/u, ''),
    )
    .filter((clause) => downsideClause[lang].test(clause) && !turn[lang].test(clause))
    .filter((clause) =>
      lang === 'zh' ? [...clause].length >= 6 && [...clause].length <= 24 : clause.length >= 14 && clause.length <= 80,
    )
    .filter((clause) => !/(?:一般|usually|generally)/iu.test(clause) || /一般$/u.test(clause));
  return clauses.length === 0 ? undefined : { title: pick(clauses), kind: 'synthetic-downside' };
}

const sampleNotes = new Map(
  readFileSync(join(root, 'data/sample-notes.jsonl'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line))
    .map((note) => [note.id, note]),
);
const train = [];
const validation = [];
for (const file of ['usability-labelled.jsonl', 'usability-junk.jsonl']) {
  const path = join(root, 'data/rm', file);
  for (const line of readFileSync(path, 'utf8').split('\n').filter(Boolean)) {
    const value = JSON.parse(line);
    train.push({
      note: sampleNotes.get(value.noteId),
      title: value.title,
      label: value.label,
      kind: value.kind ?? 'authored',
    });
  }
}
for (const row of rows) {
  const target = isValidationNote(row.note.id) ? validation : train;
  // Every hand-written title of validation notes; three of each train note's (enough positives).
  const titles = target === validation ? row.label.titles : row.label.titles.slice(0, 3);
  for (const { title } of titles) target.push({ note: row.note, title, label: 1, kind: 'corpus' });
  // Validation notes get every kind of junk (to measure each); train notes two, so usable and
  // junk titles stay near balance before augmentation adds its own negatives.
  const junk = junkFor(row);
  const kept = target === validation ? junk : junk.sort(() => next() - 0.5).slice(0, 2);
  // A downside clause, where the note has one, on top: the kind the trained model still wrote.
  const downside = downsideFor(row);
  if (downside) kept.push(downside);
  for (const entry of kept) target.push({ note: row.note, title: entry.title, label: 0, kind: entry.kind });
}
await mkdir(out, { recursive: true });
await writeFile(join(out, 'train.jsonl'), `${train.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
await writeFile(join(out, 'validation.jsonl'), `${validation.map((entry) => JSON.stringify(entry)).join('\n')}\n`);
const count = (entries, label) => entries.filter((entry) => entry.label === label).length;
console.log(
  `train: ${count(train, 1)} usable, ${count(train, 0)} junk; validation: ${count(validation, 1)} usable, ${count(validation, 0)} junk`,
);
