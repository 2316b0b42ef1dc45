// Benchmark: titles for the same notes, model and threads, three ways, in one run:
//   (a) createForge({ titlesPerNote: 12 }).generateMany(notes): one grammar-constrained call per note;
//   (b) naive: 12 separate backend.generate calls per note, each for one {title};
//   (c) a bare node-llama-cpp loop replaying (a)'s exact requests (prompt, JSON schema grammar,
//       sampling, seed), i.e. the engine's own token rate for the same work.
// Notes are processed in pairs (the forge's default concurrency 2 and the backend's 2
// sequences); the three ways alternate pair by pair so machine load hits them alike.
// Then a memory run: 100 (and 1,000) notes through generateMany on the mock backend,
// each in a fresh child process, reporting peak RSS and heap.
//
//   npm run build && node bench/generation/run.mjs
//
// Environment: BENCH_NOTES (default 4, half zh, half en), BENCH_THREADS (2),
// BENCH_MEMORY_NOTES (comma list, default 100,1000), COPYFORGE_MODEL, COPYFORGE_DIST.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import {
  importDist,
  integerFromEnvironment,
  loadAverage,
  machineInfo,
  markdownTable,
  modelPath,
  repositoryRoot,
  round,
  sha256OfFile,
  startMemorySampler,
  writeResults,
} from '../backend/common.mjs';
import { answerTitlesRequest } from './schema-answer.mjs';

const titlesPerNote = 12;
const seed = 7;
const sampling = { temperature: 0.8, topP: 0.95, repeatPenalty: 1.1, presencePenalty: 0.6 }; // the forge's defaults

function sampleNotes() {
  return readFileSync(path.join(repositoryRoot, 'data/sample-notes.jsonl'), 'utf8')
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => JSON.parse(line));
}

// ---------------------------------------------------------------------------------------
// Memory mode (child process): node --expose-gc run.mjs --memory <notes>

async function memoryRun(noteCount) {
  const { createForge } = await importDist('index.js');
  const { createMockBackend } = await importDist('test.js');
  const backend = createMockBackend({ respond: answerTitlesRequest });
  const forge = createForge({ backend, titlesPerNote });
  const pool = sampleNotes();
  function* notes() {
    for (let index = 0; index < noteCount; index++) {
      const note = pool[index % pool.length];
      yield { ...note, id: `${note.id}-${index}` };
    }
  }
  const sampler = startMemorySampler(5);
  let titles = 0;
  let failed = 0;
  const started = performance.now();
  for await (const result of forge.generateMany(notes(), { seed })) {
    if (result.ok) titles += result.value.creatives.length;
    else failed++;
    // The mock records every request for test assertions; a long run must not keep them.
    backend.generateCalls.length = 0;
    sampler.sample();
  }
  const seconds = (performance.now() - started) / 1000;
  const { before, peakRss, peakHeap } = sampler.stop();
  globalThis.gc?.();
  const after = process.memoryUsage();
  return {
    notes: noteCount,
    titles,
    failed,
    seconds: round(seconds, 3),
    notesPerSecond: round(noteCount / seconds, 1),
    rssBeforeBytes: before.rss,
    // Sampled, not resourceUsage().maxRSS: Linux carries a parent's peak RSS across fork + exec.
    peakRssBytes: peakRss,
    heapUsedBeforeBytes: before.heapUsed,
    peakHeapUsedBytes: peakHeap,
    heapUsedAfterGcBytes: after.heapUsed,
    heapLimitBytes: v8.getHeapStatistics().heap_size_limit,
  };
}

if (process.argv[2] === '--memory') {
  const result = await memoryRun(Number(process.argv[3]));
  console.log(JSON.stringify(result));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------
// Model mode

const { getLlama, LlamaCompletion, LlamaLogLevel } = await import('node-llama-cpp');
const { createForge, llamaCppBackend, normaliseTitle, renderCompletionPrompt, titleSimilarity } =
  await importDist('index.js');

const threads = integerFromEnvironment('BENCH_THREADS', 2);
const noteCount = integerFromEnvironment('BENCH_NOTES', 4);
const memoryNoteCounts = (process.env.BENCH_MEMORY_NOTES ?? '100,1000').split(',').map(Number);
const all = sampleNotes();
const chinese = all.filter((note) => note.id.startsWith('zh-'));
const english = all.filter((note) => note.id.startsWith('en-'));
const notes = [];
for (let index = 0; notes.length < noteCount; index++) {
  // Pairs of one zh and one en note, so each pair is a mix.
  if (chinese[index]) notes.push(chinese[index]);
  if (notes.length < noteCount && english[index]) notes.push(english[index]);
}
const pairs = [];
for (let index = 0; index < notes.length; index += 2) pairs.push(notes.slice(index, index + 2));

const file = modelPath();
const loadStart = loadAverage();
console.log(`model ${file}\nthreads ${threads}, notes ${notes.map((note) => note.id).join(' ')}, load ${loadStart}`);
const modelSha256 = await sha256OfFile(file);
const backend = await llamaCppBackend({
  modelPath: file,
  modelSha256,
  threads,
  sequences: 2,
  gpu: false,
  build: 'never',
});

// Records the forge's requests (for the replay) and counts output tokens.
const recorded = [];
let forgeTokens = 0;
const recordingBackend = {
  specificationVersion: 'v1',
  id: backend.id,
  model: backend.model,
  async generate(request) {
    const result = await backend.generate(request);
    recorded.push({ request, outputTokens: result.usage.outputTokens });
    forgeTokens += result.usage.outputTokens;
    return result;
  },
};
const forge = createForge({ backend: recordingBackend, titlesPerNote, concurrency: 2 });

// The peer engine: a separate model load with a 2-sequence context, like the backend's.
const llama = await getLlama({
  gpu: false,
  build: 'never',
  maxThreads: threads,
  logLevel: LlamaLogLevel.error,
  progressLogs: false,
});
const rawModel = await llama.loadModel({ modelPath: file });
const rawContext = await rawModel.createContext({ sequences: 2, contextSize: 2048, threads });
const rawSequences = [rawContext.getSequence(), rawContext.getSequence()];
const grammars = new Map();

async function rawReplay(request, sequence) {
  const key = JSON.stringify(request.responseFormat.schema);
  if (!grammars.has(key)) grammars.set(key, await llama.createGrammarForJsonSchema(request.responseFormat.schema));
  const completion = new LlamaCompletion({ contextSequence: sequence });
  let tokens = 0;
  const { sampling: options } = request;
  await completion.generateCompletion(renderCompletionPrompt(request.messages), {
    grammar: grammars.get(key),
    maxTokens: options.maxTokens,
    temperature: options.temperature,
    topP: options.topP,
    seed: options.seed,
    repeatPenalty: {
      penalty: options.repeatPenalty,
      presencePenalty: options.presencePenalty,
      frequencyPenalty: options.frequencyPenalty,
      lastTokens: options.repeatLastTokens ?? 64,
    },
    onToken: (chunk) => {
      tokens += chunk.length;
    },
  });
  completion.dispose({ disposeSequence: false });
  await sequence.clearHistory();
  return tokens;
}

/** The naive request: the forge's own prompt, asking for one title with a {title} schema. */
function naiveRequest(forgeRequest, index) {
  const [system, user] = forgeRequest.messages;
  const maxLength = forgeRequest.responseFormat.schema.properties.titles.items.properties.title.maxLength;
  const minLength = forgeRequest.responseFormat.schema.properties.titles.items.properties.title.minLength;
  const content = user.content
    .replace(/写 \d+ 个不同的中文广告标题，每个/u, '写 1 个中文广告标题，')
    .replace(
      /Write \d+ different English ad titles of at most (\d+) characters each/u,
      'Write one English ad title of at most $1 characters',
    );
  return {
    messages: [system, { role: 'user', content }],
    responseFormat: {
      type: 'json-schema',
      name: 'title',
      schema: {
        type: 'object',
        additionalProperties: false,
        required: ['title'],
        properties: { title: { type: 'string', minLength, maxLength } },
      },
    },
    // The forge's budget for one title: 64 + ceil(maxLength × tokens per character) + 24.
    sampling: {
      ...sampling,
      seed: seed + index,
      maxTokens: 64 + Math.ceil(maxLength * (maxLength <= 24 ? 1.3 : 0.4)) + 24,
    },
  };
}

const totals = {
  forge: { seconds: 0, titles: 0, tokens: 0, notes: 0, calls: 0, failed: 0 },
  naive: { seconds: 0, titles: 0, distinctTitles: 0, tokens: 0, notes: 0, calls: 0, invalid: 0 },
  raw: { seconds: 0, tokens: 0, calls: 0 },
};

for (const [pairIndex, pair] of pairs.entries()) {
  // (a) the forge.
  const firstRecorded = recorded.length;
  const tokensBefore = forgeTokens;
  let started = performance.now();
  for await (const result of forge.generateMany(pair, { seed })) {
    totals.forge.notes++;
    if (result.ok) {
      totals.forge.titles += result.value.creatives.length;
      totals.forge.calls += result.value.counts.calls;
    } else {
      totals.forge.failed++;
      console.log(`forge failed on ${pair[result.index]?.id}: ${result.error.code} ${result.error.message}`);
    }
  }
  let seconds = (performance.now() - started) / 1000;
  totals.forge.seconds += seconds;
  totals.forge.tokens += forgeTokens - tokensBefore;
  console.log(`pair ${pairIndex + 1} (a) forge: ${seconds.toFixed(1)} s, ${forgeTokens - tokensBefore} tokens`);
  const requests = recorded.slice(firstRecorded).map((entry) => entry.request);

  // (c) the bare engine replaying the same requests, two at a time.
  started = performance.now();
  let rawTokens = 0;
  for (let index = 0; index < requests.length; index += 2) {
    const counts = await Promise.all(
      requests.slice(index, index + 2).map((request, slot) => rawReplay(request, rawSequences[slot])),
    );
    rawTokens += counts.reduce((sum, count) => sum + count, 0);
  }
  seconds = (performance.now() - started) / 1000;
  totals.raw.seconds += seconds;
  totals.raw.tokens += rawTokens;
  totals.raw.calls += requests.length;
  console.log(`pair ${pairIndex + 1} (c) raw replay: ${seconds.toFixed(1)} s, ${rawTokens} tokens`);

  // (b) naive: 12 one-title calls per note, the notes of the pair in parallel.
  started = performance.now();
  await Promise.all(
    pair.map(async (note) => {
      const forgeRequest = requests.find((request) => request.messages[1].content.includes(`title: ${note.title}`));
      // The forge's own near-duplicate rule (normalised equality or bigram Jaccard >= 0.7).
      const kept = [];
      for (let index = 0; index < titlesPerNote; index++) {
        const result = await backend.generate(naiveRequest(forgeRequest, index));
        totals.naive.calls++;
        totals.naive.tokens += result.usage.outputTokens;
        try {
          const parsed = JSON.parse(result.candidates[0].text);
          totals.naive.titles++;
          const title = parsed.title.trim();
          const duplicate =
            normaliseTitle(title) === '' ||
            kept.some(
              (other) => normaliseTitle(other) === normaliseTitle(title) || titleSimilarity(other, title) >= 0.7,
            );
          if (!duplicate) kept.push(title);
        } catch {
          totals.naive.invalid++;
        }
      }
      totals.naive.notes++;
      totals.naive.distinctTitles += kept.length;
    }),
  );
  seconds = (performance.now() - started) / 1000;
  totals.naive.seconds += seconds;
  console.log(`pair ${pairIndex + 1} (b) naive: ${seconds.toFixed(1)} s`);
}
await backend.dispose();
for (const sequence of rawSequences) await sequence.dispose();
await rawContext.dispose();
await rawModel.dispose();
const loadEnd = loadAverage();

// Memory runs, each in a fresh process so peak RSS belongs to that run alone.
const memory = memoryNoteCounts.map((count) => {
  const child = spawnSync(
    process.execPath,
    ['--expose-gc', fileURLToPath(import.meta.url), '--memory', String(count)],
    {
      encoding: 'utf8',
      env: process.env,
    },
  );
  if (child.status !== 0) throw new Error(`memory run failed: ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1));
});

const rate = (part, whole) => part / whole;
const forgeTitlesPerSecond = rate(totals.forge.titles, totals.forge.seconds);
const naiveTitlesPerSecond = rate(totals.naive.titles, totals.naive.seconds);
const forgeTokensPerSecond = rate(totals.forge.tokens, totals.forge.seconds);
const rawTokensPerSecond = rate(totals.raw.tokens, totals.raw.seconds);
const rows = [
  ['(a) forge.generateMany, 12 titles per call', totals.forge, totals.forge.titles],
  ['(b) naive, one call per title', totals.naive, totals.naive.titles],
].map(([name, entry, titles]) => ({
  name,
  notesPerMinute: round((entry.notes / entry.seconds) * 60, 2),
  titlesPerSecond: round(titles / entry.seconds, 3),
  tokensPerSecond: round(entry.tokens / entry.seconds, 2),
  seconds: round(entry.seconds, 1),
  calls: entry.calls,
  titles,
  tokens: entry.tokens,
}));
rows.push({
  name: '(c) bare node-llama-cpp replaying (a)',
  notesPerMinute: round((totals.forge.notes / totals.raw.seconds) * 60, 2),
  titlesPerSecond: null,
  tokensPerSecond: round(rawTokensPerSecond, 2),
  seconds: round(totals.raw.seconds, 1),
  calls: totals.raw.calls,
  titles: null,
  tokens: totals.raw.tokens,
});
const titlesRatio = forgeTitlesPerSecond / naiveTitlesPerSecond;
// What a caller gets: titles left after the same near-duplicate rule (the forge's are all distinct).
const naiveDistinctPerSecond = rate(totals.naive.distinctTitles, totals.naive.seconds);
const distinctRatio = forgeTitlesPerSecond / naiveDistinctPerSecond;
const tokenRatio = forgeTokensPerSecond / rawTokensPerSecond;
const json = {
  benchmark: 'generation',
  description:
    "Titles for the same notes, model and threads: (a) forge.generateMany with 12 titles per call, (b) naive one call per title, (c) bare node-llama-cpp replaying (a)'s requests. Pairs of notes alternate a, c, b.",
  machine: machineInfo(),
  loadAverage: { start: loadStart, end: loadEnd },
  model: { path: file, sha256: modelSha256 },
  settings: {
    threads,
    sequences: 2,
    concurrency: 2,
    titlesPerNote,
    seed,
    sampling,
    notes: notes.map((note) => note.id),
  },
  results: rows,
  naive: { distinctTitles: totals.naive.distinctTitles, invalidOutputs: totals.naive.invalid },
  forgeFailedNotes: totals.forge.failed,
  ratios: {
    distinctTitlesPerSecondForgeToNaive: round(distinctRatio, 2),
    titlesPerSecondForgeToNaive: round(titlesRatio, 2),
    tokensPerSecondForgeToRaw: round(tokenRatio, 3),
  },
  targets: {
    distinctTitlesPerSecondForgeToNaive: { target: '>= 3', met: distinctRatio >= 3 },
    titlesPerSecondForgeToNaive: { target: '>= 3 (all naive titles, duplicates included)', met: titlesRatio >= 3 },
    tokensPerSecondForgeToRaw: { target: '>= 0.9', met: tokenRatio >= 0.9 },
  },
  memory: { backend: 'createMockBackend (schema-valid JSON, no delay)', titlesPerNote, runs: memory },
};

const mebibytes = (bytes) => round(bytes / 2 ** 20, 1);
const table = markdownTable(
  ['way', 'notes/min', 'titles/s', 'output tok/s', 'seconds', 'calls', 'titles', 'tokens'],
  rows.map((row) => [
    row.name,
    row.notesPerMinute,
    row.titlesPerSecond ?? '–',
    row.tokensPerSecond,
    row.seconds,
    row.calls,
    row.titles ?? '–',
    row.tokens,
  ]),
);
const memoryTable = markdownTable(
  ['notes', 'titles', 'seconds', 'peak RSS MiB', 'peak heap used MiB', 'heap after GC MiB (before: MiB)'],
  memory.map((run) => [
    run.notes,
    run.titles,
    run.seconds,
    mebibytes(run.peakRssBytes),
    mebibytes(run.peakHeapUsedBytes),
    `${mebibytes(run.heapUsedAfterGcBytes)} (${mebibytes(run.heapUsedBeforeBytes)})`,
  ]),
);
console.log(`\n${table}\n\n${memoryTable}`);
const markdown = `# Generation: forge vs naive per-title calls vs the bare engine

Generated by \`bench/generation/run.mjs\` on ${json.machine.date}. Machine: ${json.machine.cpus} × ${json.machine.cpuModel}, Node ${json.machine.node}. Load average at start ${loadStart.join(' / ')}, at end ${loadEnd.join(' / ')} (other work shared the machine; the three ways alternate pair of notes by pair of notes).

Model: \`${file.split('/').pop()}\` (sha256 \`${modelSha256}\`), ${threads} threads, 2 sequences, forge concurrency 2, seed ${seed}, forge default sampling (temperature 0.8, top-p 0.95, repeat penalty 1.1, presence penalty 0.6 over the whole output). Notes: ${notes.map((note) => note.id).join(', ')}.

- (a) \`createForge({ backend, titlesPerNote: 12 }).generateMany(notes)\`, no reward models.
- (b) naive: the forge's prompt reworded for one title, a \`{ title }\` JSON schema, 12 \`backend.generate\` calls per note (the two notes of a pair in parallel), no retries. ${totals.naive.distinctTitles} of its ${totals.naive.titles} titles survive the forge's near-duplicate rule (normalised equality or character-bigram Jaccard ≥ 0.7, per note); the forge's titles have passed that rule already (it asks again for dropped ones, up to 2 extra calls, and those calls are in its time).
- (c) peer engine: bare node-llama-cpp \`LlamaCompletion.generateCompletion\` replaying (a)'s exact requests (same rendered prompt, JSON-schema grammar, sampling and seed), two at a time on a 2-sequence context.

${table}

| ratio | measured | target |
| --- | --- | --- |
| (a)/(b) distinct titles/s (what a caller keeps) | ${round(distinctRatio, 2)} | ≥ 3 — ${distinctRatio >= 3 ? 'met' : 'MISSED'} |
| (a)/(b) titles/s, naive duplicates counted | ${round(titlesRatio, 2)} | ≥ 3 — ${titlesRatio >= 3 ? 'met' : 'MISSED'} |
| (a)/(c) output tokens/s | ${round(tokenRatio, 3)} | ≥ 0.9 — ${tokenRatio >= 0.9 ? 'met' : 'MISSED'} |

## Memory: generateMany over the mock backend

Each run is a fresh \`node --expose-gc\` process; the mock answers schema-valid JSON instantly, ${titlesPerNote} titles per note; results are consumed and dropped as they stream.

${memoryTable}
`;
writeResults('generation', json, markdown);
