import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CopyForgeEvents } from '../../core/events.js';
import { readJsonLines } from '../../core/jsonl.js';
import { validateNote } from '../../core/validation.js';
import { renderReport } from '../../eval/render.js';
import { buildEvaluationReport } from '../../eval/report.js';
import { createForge, type ForgeResult } from '../../generation/forge.js';
import type { Note } from '../../schemas/types.js';
import type { CliCommand } from '../command.js';
import {
  backendOptions,
  backendUsage,
  buildRewardModelSources,
  createBackendFromOptions,
  numberOption,
  stringOption,
} from '../options.js';
import { sampleNotesPath } from '../package-root.js';
import { createProgress } from '../progress.js';
import { defaultRewardModelNames } from './generate.js';

const usage = [
  'Usage: copyforge demo [--in notes.jsonl] [--out-dir demo-output] [--notes N] [--titles 12]',
  '                      [--rm ...] [backend flags] [--quiet]',
  '',
  'Runs the whole pipeline on the bundled sample notes (24, Chinese and English): pulls the default',
  'model if missing, generates the promotion target and N titles per note, scores them with the',
  'reward models (usability + compliance), prints a table per note, and writes demo-output/:',
  'creatives.jsonl, report.md (the tables) and evaluation.md / evaluation.html (diversity vs 12',
  'random original titles per note, acceptance funnel).',
  '',
  backendUsage,
].join('\n');

function scoreCell(result: ForgeResult['creatives'][number]): string {
  return result.scores
    .map((score) => `${score.rewardModel} ${score.score.toFixed(2)}${score.verdict === 'fail' ? '✗' : ''}`)
    .join(', ');
}

/** A readable markdown table of one note's creatives. */
export function noteTable(result: ForgeResult): string {
  const lines = [
    `### ${result.noteId}: ${result.note.title}`,
    '',
    `Promotion target: **${result.promotionTarget}** · audience: **${result.audienceTier}** · ` +
      `${result.creatives.filter((entry) => entry.accepted).length}/${result.creatives.length} accepted · ` +
      `${result.counts.calls} model call(s), ${result.counts.dropped} near-duplicates dropped`,
    '',
    '| # | accepted | style | title | scores |',
    '| --- | --- | --- | --- | --- |',
    ...result.creatives.map(
      (entry, index) =>
        `| ${index + 1} | ${entry.accepted ? 'yes' : 'no'} | ${entry.creative.style} | ${entry.creative.title.replaceAll('|', '\\|')} | ${scoreCell(entry)} |`,
    ),
  ];
  for (const warning of result.warnings) {
    lines.push('', `> ${warning.type === 'other' ? warning.message : `unsupported option ${warning.option}`}`);
  }
  return lines.join('\n');
}

/** `copyforge demo`: the whole pipeline on the bundled sample notes. */
export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'run the whole pipeline on the bundled sample notes and write demo-output/',
  usage,
  options: {
    in: { type: 'string' },
    'out-dir': { type: 'string' },
    notes: { type: 'string' },
    titles: { type: 'string' },
    rm: { type: 'string', multiple: true },
    quiet: { type: 'boolean' },
    ...backendOptions,
  },
  async run(values) {
    const input = stringOption(values, 'in') ?? sampleNotesPath();
    const outputDirectory = stringOption(values, 'out-dir') ?? 'demo-output';
    const limit = numberOption(values, 'notes');
    const notes: Note[] = [];
    for await (const entry of readJsonLines(input)) {
      if ('error' in entry) throw entry.error;
      notes.push(validateNote(entry.value));
      if (limit !== undefined && notes.length >= limit) break;
    }
    const rewardModelNames = Array.isArray(values.rm) ? values.rm.map(String) : await defaultRewardModelNames();
    const rewardModels = await buildRewardModelSources(values, rewardModelNames);
    console.log(`CopyForge demo: ${notes.length} notes from ${input}; reward models: ${rewardModelNames.join(', ')}`);
    const backend = await createBackendFromOptions(values);
    const adapters = backend.model?.adapters ?? [];
    console.log(
      `Model: ${backend.model?.name ?? backend.id}` +
        (backend.modelPath ? ` (${backend.modelPath})` : '') +
        (backend.threads ? `, ${backend.threads} threads` : '') +
        (adapters.length ? `, LoRA ${adapters.map((adapter) => adapter.name).join(', ')}` : ', no adapter'),
    );
    const events = new CopyForgeEvents();
    const forge = createForge({ backend, rewardModels, titlesPerNote: numberOption(values, 'titles') ?? 12, events });
    const progress = createProgress({ unit: 'notes', total: notes.length, quiet: values.quiet === true });
    const results: ForgeResult[] = [];
    const failures: string[] = [];
    const started = performance.now();
    try {
      for await (const result of forge.generateMany(notes, { seed: 1 })) {
        if (result.ok) {
          results.push(result.value);
          if (!values.quiet) console.log(`\n${noteTable(result.value)}`);
        } else {
          failures.push(`note #${result.index + 1}: ${result.error.code}: ${result.error.message}`);
          console.error(failures.at(-1));
        }
        progress.tick(1);
      }
    } finally {
      progress.done();
      await forge.close();
      await backend.dispose?.();
    }
    const seconds = (performance.now() - started) / 1000;
    const titles = results.reduce((sum, result) => sum + result.creatives.length, 0);
    const accepted = results.reduce(
      (sum, result) => sum + result.creatives.filter((entry) => entry.accepted).length,
      0,
    );
    const summary =
      `${results.length} notes, ${titles} titles (${accepted} accepted), ${failures.length} failed, ` +
      `${seconds.toFixed(0)} s (${((results.length / seconds) * 60).toFixed(1)} notes/min)`;
    const evaluation = buildEvaluationReport({
      system: results.map((result) => ({ noteId: result.noteId, note: result.note, creatives: result.creatives })),
      notes,
    });
    const rendered = renderReport(evaluation);
    await mkdir(outputDirectory, { recursive: true });
    await writeFile(
      join(outputDirectory, 'creatives.jsonl'),
      `${results.map((result) => JSON.stringify(result)).join('\n')}\n`,
    );
    await writeFile(
      join(outputDirectory, 'report.md'),
      [
        '# CopyForge demo',
        '',
        `Model: ${backend.model?.name} (sha256 ${backend.model?.sha256})` +
          `${(backend.model?.adapters ?? []).map((adapter) => ` + LoRA ${adapter.name} (sha256 ${adapter.sha256})`).join('')}. ` +
          `Reward models: ${rewardModelNames.join(', ')}.`,
        '',
        summary,
        '',
        ...results.map(noteTable),
        ...(failures.length ? ['', '## Failures', '', ...failures.map((failure) => `- ${failure}`)] : []),
        '',
      ].join('\n\n'),
    );
    await writeFile(join(outputDirectory, 'evaluation.md'), rendered.markdown);
    await writeFile(join(outputDirectory, 'evaluation.html'), rendered.html);
    console.log(`\n${summary}`);
    console.log(`Wrote ${outputDirectory}/creatives.jsonl, report.md, evaluation.md and evaluation.html.`);
    return failures.length === 0 ? 0 : 1;
  },
};
