// Benchmark: tokens/s of llamaCppBackend().generate against a bare node-llama-cpp
// completion loop on the same model, threads and prompt, in the same process; then the
// aggregate tokens/s with 1, 2 and 4 parallel sequences, against the same raw peer.
//
//   npm run build && node bench/backend/run.mjs
//
// Environment: BENCH_THREADS (default 2), BENCH_MAX_TOKENS (48), BENCH_REPS (3),
// BENCH_PARALLEL (comma list, default 1,2,4), COPYFORGE_MODEL (GGUF path), COPYFORGE_DIST.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { getLlama, LlamaCompletion, LlamaLogLevel } from 'node-llama-cpp';
import {
  importDist,
  integerFromEnvironment,
  loadAverage,
  machineInfo,
  markdownTable,
  median,
  modelPath,
  repositoryRoot,
  round,
  sha256OfFile,
  writeResults,
} from './common.mjs';

const threads = integerFromEnvironment('BENCH_THREADS', 2);
const maxTokens = integerFromEnvironment('BENCH_MAX_TOKENS', 48);
const repetitions = integerFromEnvironment('BENCH_REPS', 3);
const parallel = (process.env.BENCH_PARALLEL ?? '1,2,4').split(',').map(Number);
const contextSize = 2048;
// A plain-prose prompt: a base model continues it greedily without emitting end-of-text,
// so both sides generate exactly maxTokens tokens (checked below, not assumed).
const prompt =
  'Chapter one. The history of the old harbour town begins in the early middle ages, when fishermen from the ' +
  'northern islands built the first wooden piers along the river mouth. Over the next three centuries';

const { llamaCppBackend } = await importDist('index.js');
const file = modelPath();
const loadStart = loadAverage();
console.log(`model ${file}\nthreads ${threads}, maxTokens ${maxTokens}, repetitions ${repetitions}, load ${loadStart}`);
const modelSha256 = await sha256OfFile(file);

const llama = await getLlama({
  gpu: false,
  build: 'never',
  maxThreads: threads,
  logLevel: LlamaLogLevel.error,
  progressLogs: false,
});
const rawModel = await llama.loadModel({ modelPath: file });

/** The peer: k sequences of one context, each running LlamaCompletion.generateCompletion. */
async function createRawRunner(sequenceCount) {
  const context = await rawModel.createContext({ sequences: sequenceCount, contextSize, threads });
  const sequences = Array.from({ length: sequenceCount }, () => context.getSequence());
  const completions = sequences.map((sequence) => new LlamaCompletion({ contextSequence: sequence }));
  return {
    async run(tokens) {
      const started = performance.now();
      const counts = await Promise.all(
        completions.map(async (completion, index) => {
          let count = 0;
          const result = await completion.generateCompletionWithMeta(prompt, {
            maxTokens: tokens,
            temperature: 0,
            onToken: (chunk) => {
              count += chunk.length;
            },
          });
          // Like our backend, start every request from an empty sequence (no prefix reuse).
          await sequences[index].clearHistory();
          return { count, stopReason: result.metadata.stopReason };
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      return {
        seconds,
        tokens: counts.reduce((sum, entry) => sum + entry.count, 0),
        stopReasons: counts.map((entry) => entry.stopReason),
      };
    },
    async dispose() {
      for (const completion of completions) completion.dispose({ disposeSequence: false });
      for (const sequence of sequences) await sequence.dispose();
      await context.dispose();
    },
  };
}

/** Ours: llamaCppBackend with `sequences: k`, one generate call with `candidates: k`. */
async function createOurRunner(sequenceCount) {
  const backend = await llamaCppBackend({
    modelPath: file,
    modelSha256,
    threads,
    sequences: sequenceCount,
    contextSize,
    gpu: false,
    build: 'never',
  });
  return {
    async run(tokens) {
      const started = performance.now();
      const result = await backend.generate({
        prompt,
        candidates: sequenceCount,
        sampling: { maxTokens: tokens, temperature: 0 },
      });
      const seconds = (performance.now() - started) / 1000;
      return {
        seconds,
        tokens: result.usage.outputTokens,
        stopReasons: result.candidates.map((candidate) => candidate.finishReason),
      };
    },
    dispose: () => backend.dispose(),
  };
}

const rows = [];
for (const sequenceCount of parallel) {
  const ours = await createOurRunner(sequenceCount);
  const raw = await createRawRunner(sequenceCount);
  // Warm-up (page the weights in, build caches); not measured.
  await ours.run(4);
  await raw.run(4);
  const samples = { ours: [], raw: [] };
  for (let repetition = 0; repetition < repetitions; repetition++) {
    // ABBA order so that drift in machine load hits both sides alike.
    const order = repetition % 2 === 0 ? ['ours', 'raw'] : ['raw', 'ours'];
    for (const side of order) {
      const sample = await (side === 'ours' ? ours : raw).run(maxTokens);
      samples[side].push(sample);
      console.log(
        `k=${sequenceCount} rep ${repetition + 1} ${side.padEnd(4)} ${sample.tokens} tokens in ${sample.seconds.toFixed(2)} s = ${(sample.tokens / sample.seconds).toFixed(2)} tok/s`,
      );
    }
  }
  await ours.dispose();
  await raw.dispose();
  const expected = maxTokens * sequenceCount;
  const sameTokenCount = [...samples.ours, ...samples.raw].every((sample) => sample.tokens === expected);
  const rate = (list) => median(list.map((sample) => sample.tokens / sample.seconds));
  const oursRate = rate(samples.ours);
  const rawRate = rate(samples.raw);
  rows.push({
    sequences: sequenceCount,
    tokensPerCall: expected,
    sameTokenCount,
    oursTokensPerSecond: round(oursRate),
    rawTokensPerSecond: round(rawRate),
    ratioOursToRaw: round(oursRate / rawRate, 3),
    // Each repetition runs both sides back to back; its own ratio cancels slow drift in load.
    medianPairedRatio: round(
      median(
        samples.ours.map(
          (sample, index) => sample.tokens / sample.seconds / (samples.raw[index].tokens / samples.raw[index].seconds),
        ),
      ),
      3,
    ),
    oursSamples: samples.ours.map((sample) => ({ ...sample, seconds: round(sample.seconds, 3) })),
    rawSamples: samples.raw.map((sample) => ({ ...sample, seconds: round(sample.seconds, 3) })),
  });
}
await rawModel.dispose();
const loadEnd = loadAverage();

// node-llama-cpp does not export its package.json, so read it from node_modules.
const nodeLlamaCppVersion = JSON.parse(
  readFileSync(path.join(repositoryRoot, 'node_modules/node-llama-cpp/package.json'), 'utf8'),
).version;
const single = rows.find((row) => row.sequences === 1);
const overhead = single ? 1 - single.ratioOursToRaw : Number.NaN;
const json = {
  benchmark: 'backend',
  description:
    'Tokens/s of llamaCppBackend().generate vs a bare node-llama-cpp LlamaCompletion loop, same model, threads, prompt, greedy decoding and token count; medians of interleaved repetitions.',
  peer: `node-llama-cpp ${nodeLlamaCppVersion} LlamaCompletion.generateCompletion`,
  machine: machineInfo(),
  loadAverage: { start: loadStart, end: loadEnd },
  model: { path: file, sha256: modelSha256 },
  settings: { threads, maxTokens, repetitions, contextSize, temperature: 0, prompt },
  target: 'ours/raw >= 0.90 (overhead <= 10%) at 1 sequence',
  overheadAtOneSequence: round(overhead, 3),
  targetMet: single ? single.ratioOursToRaw >= 0.9 : false,
  results: rows,
};

const table = markdownTable(
  [
    'sequences',
    'tokens per call',
    'same token count',
    'ours tok/s',
    'raw tok/s',
    'ours/raw (medians)',
    'median of paired ratios',
  ],
  rows.map((row) => [
    row.sequences,
    row.tokensPerCall,
    row.sameTokenCount ? 'yes' : 'NO',
    row.oursTokensPerSecond,
    row.rawTokensPerSecond,
    row.ratioOursToRaw,
    row.medianPairedRatio,
  ]),
);
console.log(`\n${table}`);
const markdown = `# Backend: llamaCppBackend vs bare node-llama-cpp

Generated by \`bench/backend/run.mjs\` on ${json.machine.date}. Machine: ${json.machine.cpus} × ${json.machine.cpuModel}, Node ${json.machine.node}. Load average at start ${loadStart.join(' / ')}, at end ${loadEnd.join(' / ')} (other work shared the machine; sides were interleaved in ABBA order and medians are reported).

Model: \`${file.split('/').pop()}\` (sha256 \`${modelSha256}\`), ${threads} threads, context ${contextSize} per sequence, greedy (temperature 0), ${maxTokens} tokens per sequence, ${repetitions} repetitions per side. Peer: ${json.peer} on k sequences of one context (\`Promise.all\`, history cleared after each request, as our backend does). Ours: \`llamaCppBackend({ sequences: k }).generate({ candidates: k })\`. Wall time of the whole call, prompt evaluation included.

${table}

Target: ours/raw ≥ 0.90 at one sequence (overhead ≤ 10%). Measured overhead at one sequence: ${round(overhead * 100, 1)}% — target ${json.targetMet ? 'met' : 'MISSED'}.
`;
writeResults('backend', json, markdown);
