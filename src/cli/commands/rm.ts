import { writeFile } from 'node:fs/promises';
import { CopyForgeError } from '../../core/errors.js';
import { readJsonLines } from '../../core/jsonl.js';
import { validateNote } from '../../core/validation.js';
import { type RankedList, trainAttractivenessRM } from '../../rm/attractiveness/train.js';
import { type LabelledTitle, trainUsabilityRM } from '../../rm/usability/train.js';
import type { Note } from '../../schemas/types.js';
import type { CliCommand, CommandValues } from '../command.js';
import { numberOption, stringOption } from '../options.js';
import { sampleNotesPath } from '../package-root.js';
import { createProgress } from '../progress.js';

const usage = [
  'Usage: copyforge rm train usability --in labelled.jsonl --out weights.json [--notes notes.jsonl]',
  '                                    [--holdout-notes id,id] [--no-augment] [--seed N] [--quiet]',
  '       copyforge rm train attractiveness --in ranked.jsonl --out weights.json [--space ID]',
  '                                    [--epochs N] [--holdout 0.2] [--seed N] [--quiet]',
  '',
  'usability: each line is {"noteId": "...", "title": "...", "label": 1 | 0} (or "note": {...}',
  'instead of noteId); notes are looked up in --notes (default: the bundled sample notes).',
  'Fits a logistic model on the usability features, adds FactCC-style augmented negatives',
  'unless --no-augment, and prints held-out accuracy, precision, recall and F1.',
  '',
  'attractiveness: each line is {"titles": [best, ..., worst], "embeddings"?: [[...], ...]};',
  'with embeddings, --space names their embedding space (EmbedResultV1.space). Trains the',
  'pairwise head and prints held-out pair accuracy and the fitted temperature.',
].join('\n');

async function readAll(path: string): Promise<{ line: number; value: Record<string, unknown> }[]> {
  const rows: { line: number; value: Record<string, unknown> }[] = [];
  for await (const entry of readJsonLines(path)) {
    if ('error' in entry) throw entry.error;
    rows.push({ line: entry.line, value: entry.value as Record<string, unknown> });
  }
  return rows;
}

async function trainUsability(values: CommandValues, input: string, output: string): Promise<number> {
  const notes = new Map<string, Note>();
  for (const row of await readAll(stringOption(values, 'notes') ?? sampleNotesPath())) {
    const note = validateNote(row.value);
    notes.set(note.id, note);
  }
  const positives: LabelledTitle[] = [];
  const negatives: LabelledTitle[] = [];
  for (const { line, value } of await readAll(input)) {
    const note = value.note === undefined ? notes.get(String(value.noteId)) : validateNote(value.note);
    const fail = (message: string): never => {
      throw new CopyForgeError('CF_INVALID_CONFIG', `Line ${line} of ${input}: ${message}`, {
        issues: [{ path: `/${line}`, rule: 'format', message }],
      });
    };
    if (!note) return fail(`note '${String(value.noteId)}' is not in the notes file.`);
    if (typeof value.title !== 'string' || value.title === '') return fail("'title' must be a non-empty string.");
    if (value.label !== 0 && value.label !== 1) return fail("'label' must be 1 (usable) or 0 (unusable).");
    (value.label === 1 ? positives : negatives).push({ note, title: value.title });
  }
  const progress = createProgress({ unit: 'titles', quiet: values.quiet === true });
  const holdoutNotes = stringOption(values, 'holdout-notes');
  let reported = 0;
  const result = await trainUsabilityRM({
    positives,
    negatives,
    augment: values['no-augment'] !== true,
    holdoutNoteIds: holdoutNotes?.split(',').map((id) => id.trim()),
    seed: numberOption(values, 'seed'),
    onProgress(stage, done) {
      if (stage !== 'features') return;
      progress.tick(done - reported, 'computing features');
      reported = done;
    },
  });
  progress.done(`${result.counts.trainPositives + result.counts.trainNegatives} train titles`);
  await writeFile(output, `${JSON.stringify(result.weights, null, 2)}\n`);
  const { holdout, train, holdoutRecallByKind } = result.metrics;
  console.log(`Wrote ${output}.`);
  console.log(
    `train: ${result.counts.trainPositives} usable, ${result.counts.trainNegatives} unusable; ` +
      `held out: ${result.counts.holdoutPositives} usable, ${result.counts.holdoutNegatives} unusable`,
  );
  console.log(
    `train    accuracy ${train.accuracy}  precision ${train.precision}  recall ${train.recall}  F1 ${train.f1}`,
  );
  console.log(
    `held-out accuracy ${holdout.accuracy}  precision ${holdout.precision}  recall ${holdout.recall}  F1 ${holdout.f1}`,
  );
  console.log(
    `held-out recall by kind: ${Object.entries(holdoutRecallByKind)
      .map(([kind, recall]) => `${kind} ${recall}`)
      .join(', ')}`,
  );
  return 0;
}

async function trainAttractiveness(values: CommandValues, input: string, output: string): Promise<number> {
  const lists: RankedList[] = [];
  for (const { line, value } of await readAll(input)) {
    if (!Array.isArray(value.titles) || !value.titles.every((title) => typeof title === 'string')) {
      throw new CopyForgeError('CF_INVALID_CONFIG', `Line ${line} of ${input}: 'titles' must be an array of strings.`, {
        issues: [{ path: `/${line}/titles`, rule: 'type', message: "'titles' must be an array of strings" }],
      });
    }
    lists.push({ titles: value.titles, embeddings: value.embeddings as number[][] | undefined });
  }
  const epochs = numberOption(values, 'epochs') ?? 30;
  const progress = createProgress({ unit: 'epochs', total: epochs, quiet: values.quiet === true });
  const result = trainAttractivenessRM(lists, {
    space: stringOption(values, 'space'),
    epochs,
    holdoutFraction: numberOption(values, 'holdout'),
    seed: numberOption(values, 'seed'),
    onEpoch: (_epoch, _total, loss) => progress.tick(1, `loss ${loss.toFixed(4)}`),
  });
  progress.done();
  await writeFile(output, `${JSON.stringify(result.weights)}\n`);
  const metrics = result.metrics;
  console.log(`Wrote ${output} (space ${result.weights.space ?? 'none: lexical only'}).`);
  console.log(
    `pairs: ${metrics.trainPairs} train, ${metrics.holdoutPairs} held out; held-out pair accuracy ` +
      `${metrics.holdoutPairAccuracy}, mean margin ${metrics.holdoutMeanMargin}, log loss ${metrics.holdoutLogLoss}, ` +
      `temperature ${metrics.temperature}`,
  );
  return 0;
}

/** `copyforge rm train usability|attractiveness`: fits a built-in reward model's weights. */
export const rmCommand: CliCommand = {
  name: 'rm',
  summary: 'train the built-in reward models (rm train usability|attractiveness)',
  usage,
  allowPositionals: true,
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    notes: { type: 'string' },
    'holdout-notes': { type: 'string' },
    'no-augment': { type: 'boolean' },
    space: { type: 'string' },
    epochs: { type: 'string' },
    holdout: { type: 'string' },
    seed: { type: 'string' },
    quiet: { type: 'boolean' },
  },
  async run(values, positionals) {
    const [action, model] = positionals;
    const input = stringOption(values, 'in');
    const output = stringOption(values, 'out');
    if (action !== 'train' || (model !== 'usability' && model !== 'attractiveness') || !input || !output) {
      console.error(`copyforge rm: expected 'train usability|attractiveness --in ... --out ...'.\n\n${usage}`);
      return 2;
    }
    return model === 'usability' ? trainUsability(values, input, output) : trainAttractiveness(values, input, output);
  },
};
