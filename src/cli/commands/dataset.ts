import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CopyForgeError } from '../../core/errors.js';
import { parseNotes, parseSystemResults, readAllJsonLines } from '../../eval/inputs.js';
import { renderDatasetCard } from '../../labeling/card.js';
import {
  buildSftExamples,
  type ForgeResultLine,
  type GsbPreferenceInput,
  type PreferenceExample,
  preferencesFromForgeResults,
  preferencesFromGsb,
  preferencesFromRankedLists,
  type RankedTitles,
  type SftExample,
  type SftKind,
  toAlpacaRecord,
  toChatRecord,
  toCompletionRecord,
  toPreferenceRecord,
  toTextPreferenceRecord,
} from '../../labeling/datasets.js';
import {
  indexLabels,
  type LabelIndex,
  parseGsbLines,
  parseLabelledNotes,
  parseRankedLines,
  resolveTitles,
} from '../../labeling/inputs.js';
import type { LabelledNote } from '../../labeling/label-notes.js';
import { type DatasetSplit, splitOf } from '../../labeling/split.js';
import type { Note } from '../../schemas/types.js';
import type { CliCommand, CommandValues } from '../command.js';
import { numberOption, stringOption } from '../options.js';

const usage = [
  'Usage: copyforge dataset sft --in labels.jsonl --out dir [--format chat|alpaca|completion]',
  '                         [--kinds unified,keyword,style] [--include-flagged]',
  '       copyforge dataset preferences --from rm|ranked|gsb --in file --out dir',
  '                         [--labels labels.jsonl] [--notes notes.jsonl] [--max-pairs-per-note 16]',
  '                         [--format conversational|text]',
  '       common: [--validation-fraction 0.1] [--seed copyforge] [--quiet]',
  '',
  'sft: from `copyforge label` output, writes <note, keyword, title>, <note, style, title> and',
  'unified examples as chat JSONL ({messages: [system, user, assistant]}, the assistant turn being',
  'the exact JSON generation asks for), Alpaca JSONL ({instruction, input, output}) or',
  'prompt-completion JSONL ({prompt, completion}: the prompt rendered as llamaCppBackend renders it',
  'for base models without a chat template, such as the default model).',
  'preferences: writes TRL pairs ({prompt, chosen, rejected}; conversational messages, or plain text',
  'with --format text) from forge results',
  '(rm: accepted vs rejected creatives), ranked title lists ({noteId, titles} best first) or GSB',
  'judgements ({noteId, verdict, system, baseline}). Notes, targets, audiences and title styles',
  'missing from those lines come from --labels (and notes from --notes).',
  'Both write <dir>/train.jsonl, <dir>/validation.jsonl (split by a hash of the note id) and',
  '<dir>/README.md, a dataset card with counts, label distributions and examples.',
].join('\n');

interface Built {
  records: { noteId: string; kind: string; record: unknown }[];
  skipped: Record<string, number>;
  labelled: readonly LabelledNote[];
  format: string;
  title: string;
  notes: string[];
}

async function buildSft(values: CommandValues, input: string): Promise<Built> {
  const format = stringOption(values, 'format') ?? 'chat';
  if (format !== 'chat' && format !== 'alpaca' && format !== 'completion') {
    throw new CopyForgeError('CF_INVALID_CONFIG', `--format must be chat, alpaca or completion, got '${format}'.`);
  }
  const kinds = (stringOption(values, 'kinds') ?? 'unified,keyword,style').split(',').map((kind) => kind.trim());
  for (const kind of kinds) {
    if (kind !== 'unified' && kind !== 'keyword' && kind !== 'style') {
      throw new CopyForgeError('CF_INVALID_CONFIG', `--kinds takes unified, keyword and style; got '${kind}'.`);
    }
  }
  const labelled = parseLabelledNotes(await readAllJsonLines(input), input);
  const { examples, skipped } = buildSftExamples(labelled, {
    kinds: kinds as SftKind[],
    includeFlagged: values['include-flagged'] === true,
  });
  const convert = (example: SftExample) =>
    format === 'chat'
      ? toChatRecord(example)
      : format === 'alpaca'
        ? toAlpacaRecord(example)
        : toCompletionRecord(example);
  return {
    records: examples.map((example) => ({ noteId: example.noteId, kind: example.kind, record: convert(example) })),
    skipped,
    labelled,
    format: {
      chat: 'chat JSONL (`messages`: system, user, assistant)',
      alpaca: 'Alpaca JSONL (`instruction`, `input`, `output`)',
      completion: 'prompt-completion JSONL (`prompt`, `completion`)',
    }[format],
    title: 'CopyForge SFT dataset',
    notes: [
      'Prompts are built with the generation prompt `titles-v2` and answers follow its output schema,',
      'so a model trained here is prompted at inference exactly as it was in training.',
    ],
  };
}

async function loadLabelIndex(values: CommandValues): Promise<{ index: LabelIndex; labelled: LabelledNote[] }> {
  const labelsPath = stringOption(values, 'labels');
  const labelled = labelsPath ? parseLabelledNotes(await readAllJsonLines(labelsPath), labelsPath) : [];
  const index = indexLabels(labelled);
  const notesPath = stringOption(values, 'notes');
  if (notesPath) {
    for (const note of parseNotes(await readAllJsonLines(notesPath), notesPath)) index.notes.set(note.id, note);
  }
  return { index, labelled };
}

async function buildPreferences(values: CommandValues, input: string): Promise<Built> {
  const format = stringOption(values, 'format') ?? 'conversational';
  if (format !== 'conversational' && format !== 'text') {
    throw new CopyForgeError('CF_INVALID_CONFIG', `--format must be conversational or text, got '${format}'.`);
  }
  const from = stringOption(values, 'from');
  if (from !== 'rm' && from !== 'ranked' && from !== 'gsb') {
    throw new CopyForgeError('CF_INVALID_CONFIG', "--from must be 'rm', 'ranked' or 'gsb'.", {
      issues: [{ path: '/from', rule: 'enum', message: "'--from' must be rm, ranked or gsb" }],
    });
  }
  const { index, labelled } = await loadLabelIndex(values);
  const lines = await readAllJsonLines(input);
  const maxPairsPerNote = numberOption(values, 'max-pairs-per-note');
  const skipped: Record<string, number> = {};
  const missing = (reason: string) => {
    skipped[reason] = (skipped[reason] ?? 0) + 1;
  };
  const noteFor = (noteId: string, note?: Note) => note ?? index.notes.get(noteId);
  let built: { examples: PreferenceExample[]; skipped: Record<string, number> };
  if (from === 'rm') {
    const results: ForgeResultLine[] = [];
    for (const result of parseSystemResults(lines, input)) {
      const note = noteFor(result.noteId, result.note);
      if (note) results.push({ note, creatives: result.creatives });
      else missing('no-note');
    }
    built = preferencesFromForgeResults(results, { maxPairsPerNote });
  } else if (from === 'ranked') {
    const lists: RankedTitles[] = [];
    for (const line of parseRankedLines(lines, input)) {
      const note = noteFor(line.noteId, line.note);
      const controls = index.controls.get(line.noteId);
      const promotionTarget = line.promotionTarget ?? controls?.promotionTarget;
      const audienceTier = line.audienceTier ?? controls?.audienceTier;
      const titles = resolveTitles(line.titles, index);
      if (!note) missing('no-note');
      else if (!promotionTarget || !audienceTier) missing('no-controls');
      else if (!titles) missing('no-style');
      else lists.push({ note, promotionTarget, audienceTier, titles });
    }
    built = preferencesFromRankedLists(lists, { maxPairsPerNote });
  } else {
    const judgements: GsbPreferenceInput[] = [];
    for (const line of parseGsbLines(lines, input)) {
      const note = noteFor(line.noteId, line.note);
      const controls = index.controls.get(line.noteId);
      const promotionTarget = line.promotionTarget ?? controls?.promotionTarget;
      const audienceTier = line.audienceTier ?? controls?.audienceTier;
      const system = resolveTitles(line.system, index);
      const baseline = resolveTitles(line.baseline, index);
      if (!note) missing('no-note');
      else if (!promotionTarget || !audienceTier) missing('no-controls');
      else if (!system || !baseline) missing('no-style');
      else judgements.push({ note, verdict: line.verdict, promotionTarget, audienceTier, system, baseline });
    }
    built = preferencesFromGsb(judgements);
  }
  for (const [reason, count] of Object.entries(built.skipped)) skipped[reason] = (skipped[reason] ?? 0) + count;
  return {
    records: built.examples.map((example) => ({
      noteId: example.noteId,
      kind: example.source,
      record: format === 'text' ? toTextPreferenceRecord(example) : toPreferenceRecord(example),
    })),
    skipped,
    labelled,
    format: `TRL ${format === 'text' ? 'standard (plain text)' : 'conversational'} preference JSONL (\`prompt\`, \`chosen\`, \`rejected\`)`,
    title: 'CopyForge preference dataset',
    notes: [
      'Chosen and rejected answers share the prompt and fix the promotion target and audience tier,',
      'so they differ only in their titles. Load with `datasets.load_dataset("json", ...)` for TRL DPOTrainer.',
    ],
  };
}

/** `copyforge dataset sft|preferences`: training files and a dataset card from labels or judgements. */
export const datasetCommand: CliCommand = {
  name: 'dataset',
  summary: 'build SFT (chat/Alpaca) or preference (TRL) JSONL with a train/validation split and a card',
  usage,
  allowPositionals: true,
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    format: { type: 'string' },
    kinds: { type: 'string' },
    'include-flagged': { type: 'boolean' },
    from: { type: 'string' },
    labels: { type: 'string' },
    notes: { type: 'string' },
    'max-pairs-per-note': { type: 'string' },
    'validation-fraction': { type: 'string' },
    seed: { type: 'string' },
    quiet: { type: 'boolean' },
  },
  async run(values, positionals) {
    const [kind] = positionals;
    const input = stringOption(values, 'in');
    const outputDirectory = stringOption(values, 'out');
    if ((kind !== 'sft' && kind !== 'preferences') || positionals.length !== 1 || !input || !outputDirectory) {
      console.error(`copyforge dataset: give sft or preferences, --in and --out.\n\n${usage}`);
      return 2;
    }
    const built = kind === 'sft' ? await buildSft(values, input) : await buildPreferences(values, input);
    const split = {
      validationFraction: numberOption(values, 'validation-fraction') ?? 0.1,
      seed: stringOption(values, 'seed') ?? 'copyforge',
    };
    const parts: Record<DatasetSplit, string[]> = { train: [], validation: [] };
    const counts = {
      train: { examples: 0, notes: new Set<string>(), byKind: {} as Record<string, number> },
      validation: { examples: 0, notes: new Set<string>(), byKind: {} as Record<string, number> },
    };
    for (const entry of built.records) {
      const part = splitOf(entry.noteId, split);
      parts[part].push(JSON.stringify(entry.record));
      counts[part].examples++;
      counts[part].notes.add(entry.noteId);
      counts[part].byKind[entry.kind] = (counts[part].byKind[entry.kind] ?? 0) + 1;
    }
    const usedNotes = new Set(built.records.map((entry) => entry.noteId));
    const card = renderDatasetCard({
      title: built.title,
      format: built.format,
      split,
      splits: {
        train: { ...counts.train, notes: counts.train.notes.size },
        validation: { ...counts.validation, notes: counts.validation.notes.size },
      },
      labelled: built.labelled.filter((entry) => usedNotes.has(entry.noteId)),
      skipped: built.skipped,
      examples: built.records.slice(0, 2).map((entry) => entry.record),
      notes: built.notes,
    });
    await mkdir(outputDirectory, { recursive: true });
    const text = (lines: string[]) => (lines.length ? `${lines.join('\n')}\n` : '');
    await writeFile(join(outputDirectory, 'train.jsonl'), text(parts.train));
    await writeFile(join(outputDirectory, 'validation.jsonl'), text(parts.validation));
    await writeFile(join(outputDirectory, 'README.md'), card);
    if (!values.quiet) {
      const skippedText = Object.entries(built.skipped)
        .map(([reason, count]) => `${reason} ${count}`)
        .join(', ');
      console.error(
        `copyforge dataset: ${parts.train.length} train and ${parts.validation.length} validation examples` +
          ` in ${outputDirectory}${skippedText ? `; left out: ${skippedText}` : ''}.`,
      );
    }
    return 0;
  },
};
