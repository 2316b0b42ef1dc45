#!/usr/bin/env node
// Quality benchmark: diversity of CopyForge's generated titles against the peer of the
// source pipeline, 12 original titles per note sampled at random (seeded) from the
// sample corpus, plus the acceptance funnel. Writes bench/results/quality-demo.json and .md (quality.* is the adapter lift, bench/quality/adapter.mjs).
//
//   npm run build && node bench/quality/run.mjs [--results demo-output/creatives.jsonl]
//     [--notes data/sample-notes.jsonl] [--seed 1] [--count 12]
//
// --results is forge output: one {noteId, note?, creatives: ScoredCreative[]} per line, or
// one ScoredCreative per line. It needs generation (not in this build yet) and the
// evaluation exports in the package entry (dist/index.js).
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    results: { type: 'string', default: join(root, 'demo-output/creatives.jsonl') },
    notes: { type: 'string', default: join(root, 'data/sample-notes.jsonl') },
    seed: { type: 'string', default: '1' },
    count: { type: 'string', default: '12' },
    out: { type: 'string', default: join(root, 'bench/results') },
  },
});

// COPYFORGE_MODULE points at another build of the SDK (e.g. for a dry run of this script).
const modulePath = process.env.COPYFORGE_MODULE ?? join(root, 'dist/index.js');
const sdk = await import(pathToFileURL(modulePath).href).catch((error) => {
  console.error(`Cannot load ${modulePath} (${error.message}). Run \`npm run build\` first.`);
  process.exit(2);
});
for (const name of [
  'buildEvaluationReport',
  'renderMarkdownReport',
  'parseSystemResults',
  'parseNotes',
  'readAllJsonLines',
]) {
  if (typeof sdk[name] !== 'function') {
    console.error(`${modulePath} does not export ${name}: the evaluation API is not in the package entry yet.`);
    process.exit(2);
  }
}

const seed = Number(values.seed);
const count = Number(values.count);
let system;
try {
  system = sdk.parseSystemResults(await sdk.readAllJsonLines(values.results), values.results);
} catch (error) {
  console.error(`Cannot read forge results from ${values.results}: ${error.code ?? ''} ${error.message}`);
  console.error(
    'Generate them first (the generation stage writes them); this benchmark has nothing to score without them.',
  );
  process.exit(2);
}
const notes = sdk.parseNotes(await sdk.readAllJsonLines(values.notes), values.notes);
const started = performance.now();
const report = sdk.buildEvaluationReport({ system, notes, seed, baselineCount: count });
const evaluationMs = performance.now() - started;

const pick = (diversity) =>
  diversity && {
    titles: diversity.titleCount,
    ...diversity.mean,
    pooledDistinct1: diversity.pooledDistinct1,
    pooledDistinct2: diversity.pooledDistinct2,
  };
const result = {
  benchmark: 'quality',
  generatedAt: report.generatedAt,
  node: process.version,
  inputs: { results: values.results, notes: values.notes, seed, baselineTitlesPerNote: count },
  peer: `random original titles: ${count} per note, sampled (seed ${seed}) from ${values.notes}, own title excluded`,
  notes: report.noteCount,
  creatives: report.creativeCount,
  system: pick(report.diversity.system),
  baseline: pick(report.diversity.baseline),
  funnel: report.funnel,
  scores: report.scores.map(({ histogram, ...rest }) => rest),
  evaluationMs: Math.round(evaluationMs),
};

await mkdir(values.out, { recursive: true });
await writeFile(join(values.out, 'quality-demo.json'), `${JSON.stringify(result, null, 2)}\n`);
await writeFile(join(values.out, 'quality-demo.md'), sdk.renderMarkdownReport(report));
console.log(
  `quality: ${report.noteCount} notes; distinct-2 ${result.system.distinct2?.toFixed(3)} vs ${result.baseline?.distinct2?.toFixed(3)}, ` +
    `self-BLEU ${result.system.selfBleu?.toFixed(3)} vs ${result.baseline?.selfBleu?.toFixed(3)}; wrote ${values.out}/quality-demo.{json,md}`,
);
