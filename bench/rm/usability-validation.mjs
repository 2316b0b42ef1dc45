#!/usr/bin/env node
// The usability RM on the SFT corpus's validation notes (never trained on): every hand-written
// title of those notes (usable) and junk made from each note of the kinds the default model
// produced (a bare audience or style name, another domain's title, the note's own title, a
// Latin fragment in a Chinese title, a bare number). Reports, for the shipped default weights
// and for the previous release's (when given), the precision of what passes (usable share of
// the accepted), how many usable titles pass, and how much of each junk kind is rejected.
// Writes bench/results/rm-usability.json and .md.
//
//   npm run build && node scripts/rm/build-usability-data.mjs /tmp/rm-data \
//     && node bench/rm/usability-validation.mjs --data /tmp/rm-data/validation.jsonl [--previous old.json]
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    data: { type: 'string' },
    previous: { type: 'string' },
    weights: { type: 'string' },
    out: { type: 'string', default: join(root, 'bench/results') },
  },
});
if (!values.data)
  throw new Error('--data <validation.jsonl> is required (scripts/rm/build-usability-data.mjs writes it)');
const sdk = await import(pathToFileURL(join(root, 'dist/index.js')).href);
const rows = readFileSync(values.data, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line));

async function evaluate(name, weights) {
  const model = sdk.createUsabilityRewardModel(weights ? { weights } : {});
  const byNote = new Map();
  for (const row of rows) {
    if (!byNote.has(row.note.id)) byNote.set(row.note.id, []);
    byNote.get(row.note.id).push(row);
  }
  const verdicts = [];
  for (const entries of byNote.values()) {
    const scores = await model.scoreBatch(
      entries.map((entry, index) => ({ id: String(index), title: entry.title })),
      { note: entries[0].note, config: { fluency: false }, signal: new AbortController().signal },
    );
    entries.forEach((entry, index) => {
      verdicts.push({ ...entry, pass: scores[index].verdict !== 'fail' });
    });
  }
  const passed = verdicts.filter((entry) => entry.pass);
  const usable = verdicts.filter((entry) => entry.label === 1);
  const kinds = {};
  for (const entry of verdicts.filter((candidate) => candidate.label === 0)) {
    kinds[entry.kind] ??= { count: 0, rejected: 0 };
    kinds[entry.kind].count++;
    if (!entry.pass) kinds[entry.kind].rejected++;
  }
  return {
    name,
    titles: verdicts.length,
    usable: usable.length,
    junk: verdicts.length - usable.length,
    precisionOfAccepted: passed.filter((entry) => entry.label === 1).length / Math.max(1, passed.length),
    usableAccepted: usable.filter((entry) => entry.pass).length / Math.max(1, usable.length),
    junkRejected:
      verdicts.filter((entry) => entry.label === 0 && !entry.pass).length /
      Math.max(1, verdicts.length - usable.length),
    junkRejectedByKind: Object.fromEntries(
      Object.entries(kinds).map(([kind, { count, rejected }]) => [kind, { count, rejected: rejected / count }]),
    ),
  };
}

const results = [
  await evaluate(
    values.weights ? `weights ${values.weights}` : 'default weights (this release)',
    values.weights ? JSON.parse(readFileSync(values.weights, 'utf8')) : undefined,
  ),
];
if (values.previous) {
  results.push(await evaluate('previous default weights', JSON.parse(readFileSync(values.previous, 'utf8'))));
}
await mkdir(values.out, { recursive: true });
await writeFile(
  join(values.out, 'rm-usability.json'),
  `${JSON.stringify({ generatedAt: new Date().toISOString(), results }, null, 2)}\n`,
);
const percent = (value) => `${(value * 100).toFixed(1)} %`;
const kinds = [...new Set(results.flatMap((result) => Object.keys(result.junkRejectedByKind)))].sort();
const markdown = [
  '# Usability RM on the SFT validation notes',
  '',
  `${results[0].titles} titles of ${new Set(rows.map((row) => row.note.id)).size} validation notes (never trained on): ` +
    `${results[0].usable} hand-written usable titles, ${results[0].junk} junk titles made from those notes. Fluency off.`,
  '',
  `| | ${results.map((result) => result.name).join(' | ')} |`,
  `| --- | ${results.map(() => '---').join(' | ')} |`,
  `| precision of accepted (usable share) | ${results.map((result) => percent(result.precisionOfAccepted)).join(' | ')} |`,
  `| usable titles accepted | ${results.map((result) => percent(result.usableAccepted)).join(' | ')} |`,
  `| junk rejected | ${results.map((result) => percent(result.junkRejected)).join(' | ')} |`,
  ...kinds.map(
    (kind) =>
      `| &nbsp; ${kind} | ${results.map((result) => (result.junkRejectedByKind[kind] ? percent(result.junkRejectedByKind[kind].rejected) : 'n/a')).join(' | ')} |`,
  ),
  '',
].join('\n');
await writeFile(join(values.out, 'rm-usability.md'), markdown);
console.log(markdown);
