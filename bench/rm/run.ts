// Reward-model benchmarks. Run: npx vite-node --config vitest.config.ts bench/rm/run.ts
//
// 1. Usability: detection of planted entity / number / date mismatches on titles of
//    held-out notes (never seen in training), against two peers on the same set:
//    a naive digit-substring check, and the entity-precision rule (Nan et al. 2021).
// 2. Attractiveness on synthetic data: pairwise training on 10k pairs of 640-dimensional
//    random embeddings whose order follows a hidden linear preference, against a naive
//    RankNet over number[] rows with per-pair SGD (the same features, loss and epochs).
// 3. Attractiveness on real embeddings: the repository's real titles embedded by the default
//    model (llama.cpp, cached in ~/.cache/copyforge/bench-work/; BENCH_REEMBED=1 redoes it,
//    timed against bare node-llama-cpp), lists ranked by a hidden preference over those
//    embeddings and lexical features, the same two trainers, accuracy on unseen titles.
//    BENCH_SKIP_REAL=1 leaves this part out (no model needed); BENCH_EMBED_THREADS (2) sets the
//    llama.cpp threads of both embedding sides (the cache keeps the last measurement).

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { lexicalFeatures, rawAttractiveness } from '../../src/rm/attractiveness/model.js';
import { createSyntheticRankedLists } from '../../src/rm/attractiveness/synthetic.js';
import { type RankedList, trainAttractivenessRM } from '../../src/rm/attractiveness/train.js';
import { binaryMetrics, round, sigmoid, softplus } from '../../src/rm/learning.js';
import { createRandom } from '../../src/rm/text.js';
import { augmentTitle, buildNamePool } from '../../src/rm/usability/augment.js';
import { checkEntities, noteSourceText } from '../../src/rm/usability/entities.js';
import { defaultUsabilityWeights, scoreUsability } from '../../src/rm/usability/model.js';
import type { Note } from '../../src/schemas/types.js';
import { collectRealTitles, createPreferenceLists, embedRealTitles, titleSources } from './real-embeddings.js';

const loadAverageAtStart = loadavg();

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

// --- 2 and 3. Attractiveness: training time on 10k pairs ----------------------------
const epochs = 30;

/** Features of one title as the naive peer sees them: the same [embedding; lexical] rows as ours. */
function peerRow(list: RankedList, index: number): number[] {
  return [...(list.embeddings?.[index] ?? []), ...lexicalFeatures(list.titles[index] as string)];
}

/** Pair accuracy and mean −log σ(Δ/T) of a scorer on ranked lists (best first). */
function pairQuality(
  lists: readonly RankedList[],
  score: (list: RankedList, index: number) => number,
  temperature = 1,
) {
  let correct = 0;
  let total = 0;
  let logLoss = 0;
  for (const list of lists) {
    const scores = list.titles.map((_, index) => score(list, index));
    for (let better = 0; better < scores.length; better++) {
      for (let worse = better + 1; worse < scores.length; worse++) {
        const margin = (scores[better] as number) - (scores[worse] as number);
        total++;
        if (margin > 0) correct++;
        logLoss += softplus(-margin / temperature);
      }
    }
  }
  return { pairs: total, accuracy: round(correct / Math.max(1, total)), logLoss: round(logLoss / Math.max(1, total)) };
}

/** The peer: number[] rows, per-pair SGD, same loss and epochs; times feature building too. */
function naiveRankNet(trainLists: readonly RankedList[]): { seconds: number; score: (row: number[]) => number } {
  const started = performance.now();
  const pairs: [number[], number[]][] = [];
  for (const list of trainLists) {
    const rows = list.titles.map((_, index) => peerRow(list, index));
    for (let better = 0; better < rows.length; better++) {
      for (let worse = better + 1; worse < rows.length; worse++)
        pairs.push([rows[better] as number[], rows[worse] as number[]]);
    }
  }
  const dimension = pairs[0]?.[0].length ?? 0;
  const weights = new Array<number>(dimension).fill(0);
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
  return { seconds: (performance.now() - started) / 1000, score: dot };
}

const median = (values: number[]) =>
  [...values].sort((left, right) => left - right)[Math.floor(values.length / 2)] as number;

/**
 * Trains ours on `lists` (it holds out 20% of them) and the peer on as many pairs, three times
 * each in alternating order (AB, BA, AB); scores both on `evaluationLists`.
 */
function compareTrainers(lists: readonly RankedList[], space: string, evaluationLists: readonly RankedList[]) {
  const peerTrainLists = lists.slice(0, Math.round(lists.length * 0.8));
  const oursSeconds: number[] = [];
  const peerSeconds: number[] = [];
  let ours: ReturnType<typeof trainAttractivenessRM> | undefined;
  let peer: ReturnType<typeof naiveRankNet> | undefined;
  const runOurs = () => {
    const started = performance.now();
    ours = trainAttractivenessRM(lists, { space, epochs, holdoutFraction: 0.2, seed: 1 });
    oursSeconds.push((performance.now() - started) / 1000);
  };
  const runPeer = () => {
    peer = naiveRankNet(peerTrainLists);
    peerSeconds.push(peer.seconds);
  };
  for (let repetition = 0; repetition < 3; repetition++) {
    if (repetition % 2 === 0) {
      runOurs();
      runPeer();
    } else {
      runPeer();
      runOurs();
    }
  }
  const trained = ours as ReturnType<typeof trainAttractivenessRM>;
  const peerModel = peer as ReturnType<typeof naiveRankNet>;
  const { weights, metrics } = trained;
  return {
    copyforge: {
      medianSeconds: round(median(oursSeconds), 3),
      runsSeconds: oursSeconds.map((value) => round(value, 3)),
      metrics,
      evaluation: pairQuality(
        evaluationLists,
        (list, index) => rawAttractiveness(weights, list.titles[index] as string, list.embeddings?.[index]),
        weights.temperature,
      ),
    },
    peer: {
      name: 'naive RankNet: number[] rows + per-pair SGD (step 0.01), same features, loss and epochs',
      trainPairs: peerTrainLists.reduce((sum, list) => sum + (list.titles.length * (list.titles.length - 1)) / 2, 0),
      medianSeconds: round(median(peerSeconds), 3),
      runsSeconds: peerSeconds.map((value) => round(value, 3)),
      evaluation: pairQuality(evaluationLists, (list, index) => peerModel.score(peerRow(list, index))),
    },
  };
}

const synthetic = createSyntheticRankedLists({ lists: 1500, dimension: 640, listSize: 5, seed: 7 }).lists;
const syntheticResult = compareTrainers(synthetic.slice(0, 1250), 'synthetic:640', synthetic.slice(1250));
const attractiveness = {
  setup:
    'Random Gaussian 640-dimensional embeddings, 1500 lists of 5 ranked by a hidden linear utility; both trainers ' +
    `get 1250 lists (ours holds out 20% of them: ${syntheticResult.copyforge.metrics.trainPairs} train pairs, ` +
    `${syntheticResult.copyforge.metrics.holdoutPairs} held-out pairs; the peer trains on the first 1000), ` +
    `${epochs} epochs; both are scored on the other 250 lists.`,
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
  ...syntheticResult,
};

// --- 3. Real embeddings ---------------------------------------------------------------
async function realEmbeddingsSection() {
  const titles = collectRealTitles();
  const embedded = await embedRealTitles(titles, Number(process.env.BENCH_EMBED_THREADS ?? 2));
  const { train, unseen, trainTitles, unseenTitles } = createPreferenceLists(titles, embedded.embeddings, {
    trainLists: 1250,
    unseenLists: 250,
    seed: 17,
  });
  const result = compareTrainers(train, embedded.space, unseen);
  const norms = embedded.embeddings.map((vector) => Math.sqrt(vector.reduce((sum, value) => sum + value * value, 0)));
  return {
    titles: {
      sources: [...titleSources],
      distinct: titles.length,
      trainTitles,
      unseenTitles,
      dimension: embedded.embeddings[0]?.length ?? 0,
      normRange: [round(Math.min(...norms), 1), round(Math.max(...norms), 1)],
    },
    embedding: {
      backend: `llamaCppBackend({ model: 'default', threads: ${embedded.threads}, gpu: false, build: 'never' }).embed`,
      space: embedded.space,
      modelPath: embedded.modelPath,
      seconds: round(embedded.embedSeconds, 2),
      textsPerSecond: round(embedded.textsPerSecond, 2),
      peer: {
        ...embedded.peer,
        seconds: round(embedded.peer.seconds, 2),
        textsPerSecond: round(embedded.peer.textsPerSecond, 2),
      },
      loadSeconds: round(embedded.loadSeconds, 2),
      measuredAt: embedded.measuredAt,
      loadAverageAtEmbedding: embedded.loadAverageAtEmbedding.map((value) => round(value, 2)),
      fromCache: embedded.fromCache,
      cachePath: embedded.cachePath,
    },
    setup:
      `${titles.length} distinct real titles from ${titleSources.join(', ')}, embedded by the default model ` +
      `(${embedded.embeddings[0]?.length}-d). Hidden utility: a random Gaussian direction over the centred ` +
      'embeddings plus 0.5 × a random direction over the lexical features, each standardised; no noise. Titles are ' +
      `split first: ${trainTitles} build 1250 training lists of 5 (ours holds out 20% of them, ` +
      `${result.copyforge.metrics.trainPairs} train pairs; the peer trains on the first 1000), and the other ` +
      `${unseenTitles} build 250 lists (${result.copyforge.evaluation.pairs} pairs) that share no title with training. ` +
      `${epochs} epochs.`,
    ...result,
  };
}
const real = process.env.BENCH_SKIP_REAL === '1' ? undefined : await realEmbeddingsSection();
const loadAverageAtEnd = loadavg();

const load = {
  atStart: loadAverageAtStart.map((value) => round(value, 2)),
  atEnd: loadAverageAtEnd.map((value) => round(value, 2)),
};
writeFileSync(
  'bench/results/rm.json',
  `${JSON.stringify({ machine: attractiveness.machine, loadAverage: load, usability, attractiveness, attractivenessRealEmbeddings: real ?? null }, null, 2)}\n`,
);
const row = (name: string, value: ReturnType<typeof binaryMetrics>) =>
  `| ${name} | ${round(value.precision, 3)} | ${round(value.recall, 3)} | ${round(value.f1, 3)} | ${round(value.accuracy, 3)} |`;
const trainerTable = (result: ReturnType<typeof compareTrainers>, evaluationName: string) => [
  `| trainer | seconds, median of 3 (runs) | internal held-out pair accuracy | ${evaluationName} pair accuracy | ${evaluationName} log loss |`,
  '| --- | --- | --- | --- | --- |',
  `| trainAttractivenessRM (Float64Array, mini-batch Adam over whole lists) | ${result.copyforge.medianSeconds} (${result.copyforge.runsSeconds.join(', ')}) | ` +
    `${result.copyforge.metrics.holdoutPairAccuracy} | ${result.copyforge.evaluation.accuracy} | ${result.copyforge.evaluation.logLoss} (at T) |`,
  `| peer: ${result.peer.name} | ${result.peer.medianSeconds} (${result.peer.runsSeconds.join(', ')}) | – | ` +
    `${result.peer.evaluation.accuracy} | ${result.peer.evaluation.logLoss} (T = 1, no temperature fitted) |`,
  '',
  `Ours: fitted temperature T = ${result.copyforge.metrics.temperature}, internal held-out log loss ` +
    `${result.copyforge.metrics.holdoutLogLoss}, train pair accuracy ${result.copyforge.metrics.trainPairAccuracy}. ` +
    `Peer / ours time: ${round(result.peer.medianSeconds / result.copyforge.medianSeconds, 2)}×.`,
];
const realMarkdown = real
  ? [
      '## Attractiveness on real embeddings',
      '',
      real.setup,
      '',
      `Embedding (${real.embedding.fromCache ? `read from the cache; measured ${real.embedding.measuredAt}` : 'measured in this run'}, ` +
        `load average ${real.embedding.loadAverageAtEmbedding.slice(0, 3).join(' / ')} before, ` +
        `${real.embedding.loadAverageAtEmbedding.slice(3).join(' / ')} after): ${real.titles.distinct} titles, ` +
        `chunks of 42 interleaved with the peer, model load ${real.embedding.loadSeconds} s not counted.`,
      '',
      '| embedder | seconds | texts/s |',
      '| --- | --- | --- |',
      `| ${real.embedding.backend} | ${real.embedding.seconds} | ${real.embedding.textsPerSecond} |`,
      `| peer: ${real.embedding.peer.name} | ${real.embedding.peer.seconds} | ${real.embedding.peer.textsPerSecond} |`,
      '',
      `Largest difference between the two sides' vectors: ${real.embedding.peer.largestDifferenceFromOurs}. ` +
        `Embedding norms ${real.titles.normRange.join('–')}.`,
      '',
      ...trainerTable(real, 'unseen-title'),
      '',
    ]
  : ['## Attractiveness on real embeddings', '', 'Not run (BENCH_SKIP_REAL=1).', ''];
const markdown = [
  '# Reward-model benchmarks',
  '',
  `Machine: ${attractiveness.machine}. Generated by \`bench/rm/run.ts\`. Load average (1 / 5 / 15 min) ` +
    `${load.atStart.join(' / ')} at start, ${load.atEnd.join(' / ')} at end.`,
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
  '## Attractiveness on synthetic embeddings: pairwise training time',
  '',
  attractiveness.setup,
  '',
  ...trainerTable(attractiveness, 'other-250-lists'),
  '',
  ...realMarkdown,
].join('\n');
writeFileSync('bench/results/rm.md', markdown);
console.log(markdown);
