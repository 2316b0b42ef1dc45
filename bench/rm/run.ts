// Reward-model benchmarks. Run: npx vite-node --config vitest.config.ts bench/rm/run.ts
//
// 1. Usability: detection of planted entity / number / date mismatches on titles of
//    held-out notes (never seen in training), against two peers on the same set:
//    a naive digit-substring check, and the entity-precision rule (Nan et al. 2021).
// 2. Attractiveness: pairwise training on 10k synthetic pairs of 640-dimensional random
//    embeddings whose order follows a hidden linear preference, against a naive RankNet
//    over number[][] arrays with per-pair SGD (the same loss and epochs).

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { createSyntheticRankedLists } from '../../src/rm/attractiveness/synthetic.js';
import { trainAttractivenessRM } from '../../src/rm/attractiveness/train.js';
import { binaryMetrics, round, sigmoid } from '../../src/rm/learning.js';
import { createRandom } from '../../src/rm/text.js';
import { augmentTitle, buildNamePool } from '../../src/rm/usability/augment.js';
import { checkEntities, noteSourceText } from '../../src/rm/usability/entities.js';
import { defaultUsabilityWeights, scoreUsability } from '../../src/rm/usability/model.js';
import type { Note } from '../../src/schemas/types.js';

const holdoutNoteIds = (defaultUsabilityWeights.provenance?.holdoutNoteIds as string[] | undefined) ?? [];
const notes = new Map<string, Note>(
  readFileSync('data/sample-notes.jsonl', 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Note)
    .map((note) => [note.id, note]),
);
const labelled = readFileSync('data/rm/usability-labelled.jsonl', 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as { noteId: string; title: string; label: number });

// --- 1. Usability: planted mismatches on held-out notes -------------------------------
const random = createRandom(11);
const namePool = buildNamePool();
const set: { noteId: string; title: string; mismatch: boolean; kind: string }[] = [];
for (const row of labelled) {
  if (!holdoutNoteIds.includes(row.noteId) || row.label !== 1) continue;
  const note = notes.get(row.noteId) as Note;
  set.push({ noteId: row.noteId, title: row.title, mismatch: false, kind: 'clean' });
  for (const kind of ['number-swap', 'entity-swap', 'date-swap'] as const) {
    const title = augmentTitle(row.title, note, kind, { random, namePool });
    if (title) set.push({ noteId: row.noteId, title, mismatch: true, kind });
  }
}
writeFileSync('data/rm/usability-heldout-planted.jsonl', `${set.map((row) => JSON.stringify(row)).join('\n')}\n`);

const truth = set.map((row) => row.mismatch);
const model: boolean[] = [];
for (const row of set) {
  const [score] = await scoreUsability([row.title], notes.get(row.noteId) as Note);
  model.push(score?.verdict === 'fail');
}
const naive = set.map((row) => {
  const source = noteSourceText(notes.get(row.noteId) as Note);
  return (row.title.match(/\d+(?:\.\d+)?/gu) ?? []).some((digits) => !source.includes(digits));
});
const entityRule = set.map((row) => checkEntities(row.title, notes.get(row.noteId) as Note).unsupported.length > 0);
const usability = {
  set: {
    provenance:
      'Authored usable titles of the held-out notes in data/rm/usability-labelled.jsonl, plus number, entity ' +
      'and date swaps planted by augmentTitle (seed 11); written to data/rm/usability-heldout-planted.jsonl.',
    holdoutNoteIds,
    clean: truth.filter((value) => !value).length,
    planted: truth.filter(Boolean).length,
  },
  results: {
    'usability RM (default weights)': binaryMetrics(model, truth),
    'peer: digit substring check': binaryMetrics(naive, truth),
    'peer: entity-precision rule': binaryMetrics(entityRule, truth),
  },
};

// --- 2. Attractiveness: training time on 10k pairs -----------------------------------
const { lists } = createSyntheticRankedLists({ lists: 1250, dimension: 640, listSize: 5, seed: 7 });
const epochs = 30;

function naiveRankNet(trainLists: typeof lists): { seconds: number; accuracy: number } {
  const started = performance.now();
  const dimension = 640;
  const weights = new Array<number>(dimension).fill(0);
  const pairs: [number[], number[]][] = [];
  const training = trainLists.slice(0, 1000);
  for (const list of training) {
    const vectors = list.embeddings as number[][];
    for (let better = 0; better < vectors.length; better++) {
      for (let worse = better + 1; worse < vectors.length; worse++)
        pairs.push([vectors[better] as number[], vectors[worse] as number[]]);
    }
  }
  const dot = (vector: number[]) => vector.reduce((sum, value, index) => sum + value * (weights[index] as number), 0);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (const [better, worse] of pairs) {
      const coefficient = sigmoid(-(dot(better) - dot(worse)));
      for (let index = 0; index < dimension; index++) {
        weights[index] =
          (weights[index] as number) + 0.01 * coefficient * ((better[index] as number) - (worse[index] as number));
      }
    }
  }
  const seconds = (performance.now() - started) / 1000;
  let correct = 0;
  let total = 0;
  for (const list of trainLists.slice(1000)) {
    const vectors = list.embeddings as number[][];
    for (let better = 0; better < vectors.length; better++) {
      for (let worse = better + 1; worse < vectors.length; worse++) {
        total++;
        if (dot(vectors[better] as number[]) > dot(vectors[worse] as number[])) correct++;
      }
    }
  }
  return { seconds, accuracy: correct / total };
}

const runs: number[] = [];
let metrics: ReturnType<typeof trainAttractivenessRM>['metrics'] | undefined;
for (let run = 0; run < 3; run++) {
  const started = performance.now();
  metrics = trainAttractivenessRM(lists, { space: 'synthetic:640', epochs, holdoutFraction: 0.2, seed: 1 }).metrics;
  runs.push((performance.now() - started) / 1000);
}
const peer = naiveRankNet(lists);
const median = [...runs].sort((left, right) => left - right)[1] as number;
const attractiveness = {
  setup:
    'Random Gaussian 640-dimensional embeddings (a stand-in until real model embeddings are wired in), 1250 lists of 5 ' +
    `ranked by a hidden linear utility, lists split 80/20: ${metrics?.trainPairs} train pairs, ` +
    `${metrics?.holdoutPairs} held-out pairs, ${epochs} epochs.`,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
  copyforge: { medianSeconds: round(median, 3), runsSeconds: runs.map((value) => round(value, 3)), metrics },
  peer: {
    name: 'naive RankNet: number[][] + per-pair SGD, same loss and epochs',
    seconds: round(peer.seconds, 3),
    holdoutPairAccuracy: round(peer.accuracy),
  },
};

writeFileSync('bench/results/rm.json', `${JSON.stringify({ usability, attractiveness }, null, 2)}\n`);
const row = (name: string, value: ReturnType<typeof binaryMetrics>) =>
  `| ${name} | ${round(value.precision, 3)} | ${round(value.recall, 3)} | ${round(value.f1, 3)} | ${round(value.accuracy, 3)} |`;
const markdown = [
  '# Reward-model benchmarks',
  '',
  `Machine: ${attractiveness.machine}. Generated by \`bench/rm/run.ts\`.`,
  '',
  '## Usability: planted entity / number / date mismatches on held-out notes',
  '',
  `${usability.set.provenance} Held-out notes: ${holdoutNoteIds.join(', ')}. ` +
    `${usability.set.clean} clean titles, ${usability.set.planted} planted mismatches; the positive class is "mismatch".`,
  '',
  '| detector | precision | recall | F1 | accuracy |',
  '| --- | --- | --- | --- | --- |',
  ...Object.entries(usability.results).map(([name, value]) => row(name, value)),
  '',
  '## Attractiveness: pairwise training time',
  '',
  attractiveness.setup,
  '',
  '| trainer | seconds | held-out pair accuracy |',
  '| --- | --- | --- |',
  `| trainAttractivenessRM (Float64Array, mini-batch Adam), median of 3 | ${attractiveness.copyforge.medianSeconds} | ${metrics?.holdoutPairAccuracy} |`,
  `| peer: ${attractiveness.peer.name} | ${attractiveness.peer.seconds} | ${attractiveness.peer.holdoutPairAccuracy} |`,
  '',
  `Fitted temperature T = ${metrics?.temperature}; held-out log loss ${metrics?.holdoutLogLoss}.`,
  '',
].join('\n');
writeFileSync('bench/results/rm.md', markdown);
console.log(markdown);
