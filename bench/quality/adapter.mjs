#!/usr/bin/env node
// Quality lift of the shipped title adapter: the default model bare vs with the adapter,
// on the SFT corpus's validation notes (never trained on), same seeds, same reward models
// (usability + the compliance plugin), 12 titles per note. Writes bench/results/quality.json
// and quality.md, plus the raw forge results under bench/results/quality-runs/.
//
//   npm run build && node bench/quality/adapter.mjs [--notes 48] [--systems adapter,base]
//     [--threads 2] [--seed 1] [--reuse [--rescore]]
//
// --reuse reads the generated titles of an earlier run from bench/results/quality-runs/ (the
// notes/min of that run are kept); --rescore scores them again with this build's reward models.
//
// Metrics per system: titles and accepted titles per note; the share of accepted titles whose
// numbers and name-like words are all in the note (grounded) and that are in the note's
// language; distinct-2 and self-BLEU of accepted titles against 12 random original titles per
// note; target grounding and audience-tier spread of the labels the model states first;
// decoding tokens/s (raw greedy generation, same prompt, both models side by side in alternating
// rounds) and notes/min. The hand-written titles of the same notes are a second diversity reference.
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { lintRow, notesDirectory, ungroundedSpans } from '../../scripts/sft/lint-corpus.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const { values } = parseArgs({
  options: {
    notes: { type: 'string', default: '0' },
    systems: { type: 'string', default: 'adapter,base' },
    threads: { type: 'string', default: '2' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: join(root, 'bench/results') },
    reuse: { type: 'boolean', default: false },
    'decode-rounds': { type: 'string', default: '7' },
    rescore: { type: 'boolean', default: false },
  },
});
const sdk = await import(pathToFileURL(join(root, 'dist/index.js')).href).catch((error) => {
  console.error(`Cannot load dist/index.js (${error.message}). Run \`npm run build\` first.`);
  process.exit(2);
});
const compliance = await import('@copyforge/plugin-compliance').catch(() => undefined);
if (!compliance) {
  console.error('The compliance plugin is not built: npm run build');
  process.exit(2);
}

// Validation notes of the corpus, lint-clean, in a fixed order.
const notes = [];
for (const file of (await readdir(notesDirectory)).filter((name) => name.endsWith('.jsonl')).sort()) {
  for (const row of await sdk.readUnifiedLabelRows(join(notesDirectory, file))) {
    if (sdk.sftCorpusSplitOf(row.note.id) !== 'validation') continue;
    if ((await lintRow(row)).length === 0) notes.push(row);
  }
}
const limit = Number(values.notes);
// An even spread over domains when limited: round-robin by domain.
const byDomain = new Map();
for (const row of notes) {
  const domain = row.note.id.split('-')[1];
  if (!byDomain.has(domain)) byDomain.set(domain, []);
  byDomain.get(domain).push(row);
}
const picked = [];
while (picked.length < (limit > 0 ? Math.min(limit, notes.length) : notes.length)) {
  for (const rows of byDomain.values()) {
    const next = rows.shift();
    if (next && (limit <= 0 || picked.length < limit)) picked.push(next);
  }
}
// English words used in at least 5 corpus notes: a capitalised word of a title that is neither
// in its note nor one of these is taken for a name the model made up ("Laxin Skin Treatment").
const commonWords = new Set();
{
  const seenIn = new Map();
  for (const row of notes.concat(await allRows())) {
    const words = new Set(
      `${row.note.title} ${row.note.body} ${row.label.titles.map((entry) => entry.title).join(' ')}`
        .toLowerCase()
        .match(/[a-z][a-z'’-]+/g) ?? [],
    );
    for (const word of words) seenIn.set(word, (seenIn.get(word) ?? 0) + 1);
  }
  for (const [word, count] of seenIn) if (count >= 5) commonWords.add(word);
}
async function allRows() {
  const rows = [];
  for (const file of (await readdir(notesDirectory)).filter((name) => name.endsWith('.jsonl'))) {
    rows.push(...(await sdk.readUnifiedLabelRows(join(notesDirectory, file))));
  }
  return rows;
}
/** Numbers and names of a title its note does not contain (empty: grounded). */
function ungrounded(title, note) {
  const spans = ungroundedSpans(title, note, language(note));
  if (language(note) === 'en') {
    const text = `${note.title} ${note.body} ${(note.tags ?? []).join(' ')}`.toLowerCase();
    const names = (title.match(/[A-Z][A-Za-z'’-]+/g) ?? []).slice(title.match(/^[A-Z]/) ? 1 : 0);
    for (const name of names)
      if (!text.includes(name.toLowerCase()) && !commonWords.has(name.toLowerCase())) spans.push(name);
  }
  return spans;
}
const threads = Number(values.threads);
const seed = Number(values.seed);
const language = (note) => (note.lang === 'en' ? 'en' : 'zh');
const cjk = /[\p{Script=Han}]/u;
const inLanguage = (title, note) => (language(note) === 'zh' ? cjk.test(title) : !cjk.test(title));

// Decoding speed, adapter vs bare, measured side by side: both models loaded, rounds alternate
// which goes first, and the ratio is the median of the per-round ratios, so load from other
// processes hits both alike. Greedy, the same prompt, 128 tokens.
async function decodeRatio() {
  const prompt = renderPrompt(picked[0].note);
  const load = (adapter) =>
    sdk.llamaCppBackend({ model: 'default', threads, sequences: 1, gpu: false, defaultAdapter: adapter });
  const adapter = await load(true);
  const base = await load(false);
  if (!adapter.model.adapters?.length) throw new Error('No shipped adapter was layered.');
  const rate = async (backend) => {
    const started = performance.now();
    const result = await backend.generate({ prompt, sampling: { temperature: 0, maxTokens: 128, seed: 1 } });
    return result.usage.outputTokens / ((performance.now() - started) / 1000);
  };
  await rate(adapter);
  await rate(base);
  const rounds = [];
  for (let round = 0; round < Number(values['decode-rounds']); round++) {
    const first = round % 2 === 0 ? adapter : base;
    const second = first === adapter ? base : adapter;
    const a = await rate(first);
    const b = await rate(second);
    rounds.push(first === adapter ? { adapter: a, base: b } : { adapter: b, base: a });
  }
  await adapter.dispose();
  await base.dispose();
  const median = (list) => [...list].sort((x, y) => x - y)[Math.floor(list.length / 2)];
  return {
    rounds,
    ratio: median(rounds.map((round) => round.adapter / round.base)),
    adapterTokensPerSecond: median(rounds.map((round) => round.adapter)),
    baseTokensPerSecond: median(rounds.map((round) => round.base)),
  };
}

function renderPrompt(note) {
  return sdk.toCompletionRecord(
    sdk.unifiedExample({ note, label: { promotionTarget: '', audienceTier: '', titles: [] } }),
  ).prompt;
}

async function runSystem(system) {
  const runFile = join(values.out, 'quality-runs', `${system}.jsonl`);
  const backend = await sdk.llamaCppBackend({
    model: 'default',
    threads,
    sequences: 2,
    scoreTopK: 40,
    gpu: false,
    defaultAdapter: system === 'adapter',
  });
  if (system === 'adapter' && !backend.model.adapters?.length) throw new Error('No shipped adapter was layered.');
  let results = [];
  let seconds = 0;
  if (values.reuse && existsSync(runFile)) {
    const stored = (await readFile(runFile, 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    results = stored.filter((entry) => picked.some((row) => row.note.id === entry.noteId));
    seconds = stored.find((entry) => entry.seconds)?.seconds ?? 0;
    if (values.rescore) {
      // The same generated titles, scored by the reward models of this build.
      const host = await sdk.createRewardModelHost({
        rewardModels: [sdk.createUsabilityRewardModel(), compliance.complianceRewardModel],
      });
      for (const result of results) {
        result.creatives = await host.scoreAndSelect(
          result.note,
          result.creatives.map((entry) => entry.creative),
        );
      }
      await host.close();
    }
  } else {
    const forge = sdk.createForge({
      backend,
      rewardModels: [sdk.createUsabilityRewardModel(), compliance.complianceRewardModel],
      titlesPerNote: 12,
    });
    const started = performance.now();
    let done = 0;
    for await (const result of forge.generateMany(
      picked.map((row) => row.note),
      { seed },
    )) {
      done++;
      if (result.ok) results.push(result.value);
      else console.error(`${system}: note ${result.index}: ${result.error.code} ${result.error.message}`);
      if (done % 5 === 0) console.error(`${system}: ${done}/${picked.length} notes`);
    }
    seconds = (performance.now() - started) / 1000;
    await mkdir(dirname(runFile), { recursive: true });
    await writeFile(
      runFile,
      `${results.map((result, index) => JSON.stringify({ ...result, ...(index === 0 ? { seconds } : {}) })).join('\n')}\n`,
    );
  }
  await backend.dispose();
  return { system, results, seconds };
}

function summarise({ system, results, seconds }) {
  const accepted = results.flatMap((result) =>
    result.creatives.filter((entry) => entry.accepted).map((entry) => ({ result, title: entry.creative.title })),
  );
  const grounded = accepted.filter(({ result, title }) => ungrounded(title, result.note).length === 0);
  const rightLanguage = accepted.filter(({ result, title }) => inLanguage(title, result.note));
  const tiers = {};
  for (const result of results) tiers[result.audienceTier] = (tiers[result.audienceTier] ?? 0) + 1;
  const report = sdk.buildEvaluationReport({
    system: results.map((result) => ({
      noteId: result.noteId,
      note: result.note,
      creatives: result.creatives.filter((entry) => entry.accepted),
    })),
    notes: notes.map((row) => row.note),
    seed,
  });
  const expected = new Map(picked.map((row) => [row.note.id, row.label]));
  return {
    system,
    notes: results.length,
    titlesPerNote: results.reduce((sum, r) => sum + r.creatives.length, 0) / results.length,
    acceptedPerNote: accepted.length / results.length,
    acceptedGroundedShare: grounded.length / Math.max(1, accepted.length),
    acceptedInLanguageShare: rightLanguage.length / Math.max(1, accepted.length),
    acceptedGroundedAndInLanguageShare:
      accepted.filter(
        ({ result, title }) => inLanguage(title, result.note) && ungrounded(title, result.note).length === 0,
      ).length / Math.max(1, accepted.length),
    distinct2: report.diversity.system.mean.distinct2,
    selfBleu: report.diversity.system.mean.selfBleu,
    baselineDistinct2: report.diversity.baseline?.mean.distinct2 ?? null,
    baselineSelfBleu: report.diversity.baseline?.mean.selfBleu ?? null,
    targetGroundedShare:
      results.filter((result) => sdk.checkGrounding(result.promotionTarget, result.note).grounded).length /
      results.length,
    targetMatchesLabelShare:
      results.filter((result) => expected.get(result.noteId)?.promotionTarget === result.promotionTarget).length /
      results.length,
    tierMatchesLabelShare:
      results.filter((result) => expected.get(result.noteId)?.audienceTier === result.audienceTier).length /
      results.length,
    tiers,
    distinctTiers: Object.keys(tiers).length,
    tokensPerSecond: decode ? decode[`${system}TokensPerSecond`] : null,
    notesPerMinute: results.length / (seconds / 60),
    seconds,
  };
}

const runs = [];
for (const system of values.systems.split(',')) {
  console.error(`${system}: ${picked.length} validation notes, ${threads} threads`);
  runs.push(await runSystem(system));
}
const systems = values.systems.split(',');
const decode = systems.includes('adapter') && systems.includes('base') ? await decodeRatio() : null;
const summaries = runs.map(summarise);
const ratio = decode?.ratio ?? null;
// What people write for one note: the hand-written titles of the corpus labels of the same
// notes. Titles of one note share its product and facts, so they repeat more bigrams than 12
// originals drawn from 12 different notes (the design's baseline).
const handWritten = sdk.diversityReport(
  picked.map((row) => ({ noteId: row.note.id, note: row.note, titles: row.label.titles.map((entry) => entry.title) })),
).mean;
const output = {
  generatedAt: new Date().toISOString(),
  notes: picked.length,
  validationNotes: notes.length,
  seed,
  threads,
  decodeRatioAdapterOverBase: ratio,
  decodeRounds: decode?.rounds ?? null,
  handWrittenDistinct2: handWritten.distinct2,
  handWrittenSelfBleu: handWritten.selfBleu,
  systems: summaries,
};
await mkdir(values.out, { recursive: true });
await writeFile(join(values.out, 'quality.json'), `${JSON.stringify(output, null, 2)}\n`);

const percent = (value) => (value === null || value === undefined ? 'n/a' : `${(value * 100).toFixed(1)} %`);
const fixed = (value, digits = 2) => (value === null || value === undefined ? 'n/a' : value.toFixed(digits));
const rows = [
  ['titles per note', (s) => fixed(s.titlesPerNote, 1)],
  ['accepted per note (of 12)', (s) => fixed(s.acceptedPerNote, 1)],
  ['accepted: grounded (numbers, names in the note)', (s) => percent(s.acceptedGroundedShare)],
  ["accepted: in the note's language", (s) => percent(s.acceptedInLanguageShare)],
  ['accepted: grounded and in language', (s) => percent(s.acceptedGroundedAndInLanguageShare)],
  ['distinct-2 of accepted (mean per note)', (s) => fixed(s.distinct2, 3)],
  ['  random original titles', (s) => fixed(s.baselineDistinct2, 3)],
  ['  hand-written titles of the same note', () => fixed(handWritten.distinct2, 3)],
  ['self-BLEU of accepted (lower: more diverse)', (s) => fixed(s.selfBleu, 3)],
  ['  random original titles', (s) => fixed(s.baselineSelfBleu, 3)],
  ['  hand-written titles of the same note', () => fixed(handWritten.selfBleu, 3)],
  ['target grounded in the note', (s) => percent(s.targetGroundedShare)],
  ['target = hand label', (s) => percent(s.targetMatchesLabelShare)],
  ['tier = hand label', (s) => percent(s.tierMatchesLabelShare)],
  ['distinct tiers stated', (s) => String(s.distinctTiers)],
  ['decoding tokens/s (greedy, 128 tokens, median of rounds)', (s) => fixed(s.tokensPerSecond, 1)],
  ['notes/min (forge + reward models)', (s) => fixed(s.notesPerMinute, 2)],
];
const samples = runs
  .find((run) => run.system === 'adapter')
  ?.results.slice(0, 4)
  .map((result) =>
    [
      `#### ${result.noteId}: ${result.note.title || '(no title)'}`,
      '',
      `target **${result.promotionTarget}** · tier **${result.audienceTier}**`,
      '',
      ...result.creatives.map(
        (entry) => `- ${entry.accepted ? '✓' : '✗'} ${entry.creative.title} (${entry.creative.style})`,
      ),
    ].join('\n'),
  );
const markdown = [
  '# Quality: the shipped title adapter vs the bare default model',
  '',
  `${picked.length} validation notes of data/sft (of ${notes.length}; never trained on), spread over domains; ` +
    `seed ${seed}; ${threads} threads; 12 titles per note; reward models: usability + compliance. ` +
    'Command: `npm run build && node bench/quality/adapter.mjs' +
    (limit > 0 ? ` --notes ${limit}` : '') +
    (values.reuse ? ' --reuse' : '') +
    (values.rescore ? ' --rescore' : '') +
    '`.',
  '',
  `| metric | ${summaries.map((s) => s.system).join(' | ')} |`,
  `| --- | ${summaries.map(() => '---').join(' | ')} |`,
  ...rows.map(([label, cell]) => `| ${label} | ${summaries.map(cell).join(' | ')} |`),
  '',
  ratio === null
    ? ''
    : `Decoding with the adapter: **${ratio.toFixed(3)}×** the bare model: the median of ${decode.rounds.length} ` +
      'rounds with both models loaded, alternating which goes first (same prompt, greedy, 128 tokens; per round: ' +
      `${decode.rounds.map((round) => (round.adapter / round.base).toFixed(3)).join(', ')}).`,
  '',
  '## Sample output with the adapter',
  '',
  ...(samples ?? []),
  '',
].join('\n');
await writeFile(join(values.out, 'quality.md'), markdown);
console.log(markdown);
