import { join } from 'node:path';
import { cacheDirectory } from '../../core/cache.js';
import { CopyForgeError } from '../../core/errors.js';
import { openJsonLinesWriter, readJsonLines } from '../../core/jsonl.js';
import { type LabelStats, labelNotesStream } from '../../labeling/label-notes.js';
import type { ModelBackendV1 } from '../../spec/model-backend-v1.js';
import type { CliCommand, CommandValues } from '../command.js';
import { backendOptions, backendUsage, createBackendFromOptions, stringOption } from '../options.js';
import { createProgress } from '../progress.js';

const usage = [
  'Usage: copyforge label --in notes.jsonl --out labels.jsonl [--votes 3] [--cache dir | --no-cache]',
  '                       [--concurrency 2] [--min-confidence 0.6]',
  '                       [--language auto|zh|en] [--errors errors.jsonl] [--quiet]',
  '                       [--mode unified|labels] [backend flags, below]',
  '',
  'With the default model the shipped title adapter is layered on it and the label is its unified',
  "answer (--mode unified: target, audience tier, then 8 titles with their styles, in the forge's",
  'format); --mode labels asks the labelling prompt for the style of each given title instead.',
  'Labels each note (a Note, or {"note": Note, "titles": [...]}) with its promotion target,',
  'audience and reach tiers and the style of each title, using the generation taxonomy.',
  'Writes one labelled note per line (note included), in input order. With --votes k the model',
  'is sampled k times and the agreement is the confidence. Labels are cached by note content,',
  'model hash and prompt version (default folder: <copyforge cache>/labels), so a rerun only',
  'labels what changed and an interrupted run resumes. Failed notes go to --errors (default:',
  'stderr); the exit code is 1 when any note failed.',
  '',
  backendUsage,
].join('\n');

/** How the command gets its model; tests pass a mock. */
export interface LabelCommandOptions {
  /** Creates the backend the flags name. @default {@link createBackendFromOptions} */
  createBackend?: (values: CommandValues) => Promise<ModelBackendV1>;
}

function integerOption(values: CommandValues, name: string, minimum: number): number | undefined {
  const text = stringOption(values, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!Number.isInteger(value) || value < minimum) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `--${name} must be an integer ≥ ${minimum}, got '${text}'.`, {
      issues: [{ path: `/${name}`, rule: 'minimum', message: `'--${name}' must be an integer ≥ ${minimum}` }],
    });
  }
  return value;
}

async function countLines(path: string): Promise<number | undefined> {
  if (path === '-') return undefined;
  let count = 0;
  for await (const _ of readJsonLines(path)) count++;
  return count;
}

function summary(stats: LabelStats): string {
  const confidence =
    stats.withConfidence > 0 ? `, mean confidence ${(stats.confidenceSum / stats.withConfidence).toFixed(3)}` : '';
  return (
    `${stats.labelled} labelled (${stats.cacheHits} from cache, ${stats.backendCalls} model calls), ` +
    `${stats.grounded} grounded, ${stats.flagged} flagged${confidence}, ${stats.failed} failed`
  );
}

/** Builds the `label` command over a backend factory (the llama.cpp backend by default). */
export function createLabelCommand(options: LabelCommandOptions = {}): CliCommand {
  return {
    name: 'label',
    summary: 'label notes with promotion target, audience tier and title style (cached, resumable)',
    usage,
    options: {
      in: { type: 'string' },
      out: { type: 'string' },
      votes: { type: 'string' },
      cache: { type: 'string' },
      'no-cache': { type: 'boolean' },
      ...backendOptions,
      concurrency: { type: 'string' },
      'min-confidence': { type: 'string' },
      language: { type: 'string' },
      errors: { type: 'string' },
      mode: { type: 'string' },
      quiet: { type: 'boolean' },
    },
    async run(values) {
      const input = stringOption(values, 'in');
      if (!input) {
        console.error(`copyforge label: --in is required.\n\n${usage}`);
        return 2;
      }
      const language = stringOption(values, 'language') ?? 'auto';
      if (language !== 'auto' && language !== 'zh' && language !== 'en') {
        console.error("copyforge label: --language must be 'auto', 'zh' or 'en'.");
        return 2;
      }
      const mode = stringOption(values, 'mode');
      if (mode !== undefined && mode !== 'unified' && mode !== 'labels') {
        console.error("copyforge label: --mode must be 'unified' or 'labels'.");
        return 2;
      }
      const minConfidenceText = stringOption(values, 'min-confidence');
      const minConfidence = minConfidenceText === undefined ? undefined : Number(minConfidenceText);
      const votes = integerOption(values, 'votes', 1) ?? 1;
      const concurrency = integerOption(values, 'concurrency', 1) ?? 2;
      integerOption(values, 'threads', 1); // checked here for the message; the backend reads it
      const cache = values['no-cache']
        ? undefined
        : (stringOption(values, 'cache') ?? join(cacheDirectory(), 'labels'));
      const total = await countLines(input);
      const backend = await (options.createBackend ?? createBackendFromOptions)({
        ...values,
        // Every vote of every note in flight gets a sequence, up to 6 (KV memory grows with each).
        sequences: stringOption(values, 'sequences') ?? String(Math.min(concurrency * votes, 6)),
      });
      const output = openJsonLinesWriter(stringOption(values, 'out') ?? '-');
      const errorsPath = stringOption(values, 'errors');
      const errors = errorsPath ? openJsonLinesWriter(errorsPath) : undefined;
      const progress = createProgress({ unit: 'notes', total, quiet: values.quiet === true });
      // Input line numbers by position, so failures name their line; JSON errors are reported and skipped.
      const lineNumbers: number[] = [];
      let unreadable = 0;
      async function* notes(): AsyncGenerator<unknown> {
        for await (const entry of readJsonLines(input as string)) {
          if ('error' in entry) {
            unreadable++;
            const record = { line: entry.line, code: entry.error.code, message: entry.error.message, issues: [] };
            if (errors) await errors.write(record);
            else console.error(`line ${entry.line}: ${entry.error.code}: ${entry.error.message}`);
            progress.tick(1);
            continue;
          }
          lineNumbers.push(entry.line);
          yield entry.value;
        }
      }
      try {
        const stream = labelNotesStream(notes(), {
          backend,
          votes,
          concurrency,
          cache,
          language,
          ...(mode ? { mode } : {}),
          ...(minConfidence !== undefined ? { minConfidence } : {}),
          onProgress: ({ stats }) =>
            progress.tick(1, `${stats.cacheHits} cached, ${stats.flagged} flagged, ${stats.failed} failed`),
        });
        for await (const result of stream) {
          if (result.ok) {
            await output.write(result.value);
            continue;
          }
          const line = lineNumbers[result.index];
          const record = { line, code: result.error.code, message: result.error.message, issues: result.error.issues };
          if (errors) await errors.write(record);
          else console.error(`line ${line}: ${result.error.code}: ${result.error.message}`);
        }
        progress.done(summary(stream.stats));
        return stream.stats.failed + unreadable === 0 ? 0 : 1;
      } finally {
        await output.close();
        await errors?.close();
        await backend.dispose?.();
      }
    },
  };
}

/** `copyforge label`: auto-labels notes with the default (or a given) GGUF model. */
export const labelCommand: CliCommand = createLabelCommand();
