import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { CopyForgeError } from '../../core/errors.js';
import { type CleanConfig, validateCleanConfig } from '../../corpus/config.js';
import { expandInputs } from '../../corpus/records.js';
import { type WriteCleanCorpusOptions, writeCleanCorpus } from '../../corpus/shards.js';
import type { CliCommand, CommandValues } from '../command.js';
import { createProgress } from '../progress.js';

function strings(value: CommandValues[string]): string[] {
  if (value === undefined) return [];
  return (Array.isArray(value) ? value : [value]).filter((entry): entry is string => typeof entry === 'string');
}

function integerOption(value: CommandValues[string], name: string): number | undefined {
  if (typeof value !== 'string') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `--${name} must be a non-negative integer, got '${value}'.`, {
      issues: [{ path: `/${name}`, rule: 'type', message: `'--${name}' must be a non-negative integer` }],
    });
  }
  return parsed;
}

/** Parses `--mix path:ratio[:documents|tokens]`. */
export function parseMixOption(value: string): NonNullable<CleanConfig['mix']> {
  const parts = value.split(':');
  let by: 'documents' | 'tokens' | undefined;
  if (parts.at(-1) === 'documents' || parts.at(-1) === 'tokens') by = parts.pop() as 'documents' | 'tokens';
  const ratio = Number(parts.pop());
  const path = parts.join(':');
  if (path === '' || !(ratio > 0 && ratio < 1)) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `--mix must look like generic.jsonl:0.3, got '${value}'.`, {
      issues: [
        { path: '/mix', rule: 'format', message: "'--mix' must be <path>:<ratio in (0, 1)>[:documents|tokens]" },
      ],
    });
  }
  return by ? { path, ratio, by } : { path, ratio };
}

async function readConfig(path: string): Promise<CleanConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CopyForgeError('CF_INPUT_READ_FAILED', `Cannot read '${path}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new CopyForgeError('CF_INVALID_JSON', `'${path}' is not JSON: ${(error as Error).message}`, { cause: error });
  }
  return validateCleanConfig(value);
}

/** `copyforge clean`: normalise, scrub, filter, dedup and mix notes into sharded JSONL. */
export const cleanCommand: CliCommand = {
  name: 'clean',
  summary: 'clean a note corpus into deduplicated, sharded JSONL for pre-training',
  usage: [
    'Usage: copyforge clean --in <files|globs>... --out <dir> [--mix generic.jsonl:0.3[:tokens]]',
    '                       [--config clean.json] [--workers N] [--shard-size N] [--plain] [--force] [--quiet]',
    '',
    'Reads JSONL, JSONL.gz or plain text (one document per line; `-` reads JSONL from stdin). Writes',
    'part-NNNNN.jsonl.gz shards, manifest.json, stats.json and stats.md to --out. A rerun with the same',
    'settings resumes: shards listed in the manifest are skipped. --force starts over when the settings',
    'changed. Exit code 1 when input lines are not JSON (they are counted in stats.json).',
    '',
    '  --in          input files or globs (repeatable; extra arguments are inputs too)',
    '  --mix         generic corpus and its share of the output, by documents (default) or tokens',
    '  --config      JSON options (see docs/cleaning.md); flags override it',
    `  --workers     worker threads (default: ${availableParallelism()}, the number of cores)`,
    '  --shard-size  documents per shard (default 100000)',
    '  --plain       write uncompressed .jsonl shards',
  ].join('\n'),
  options: {
    in: { type: 'string', multiple: true },
    out: { type: 'string' },
    mix: { type: 'string' },
    config: { type: 'string' },
    workers: { type: 'string' },
    'shard-size': { type: 'string' },
    plain: { type: 'boolean' },
    force: { type: 'boolean' },
    quiet: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(values, positionals) {
    const patterns = [...strings(values.in), ...positionals];
    const outDir = typeof values.out === 'string' ? values.out : undefined;
    if (patterns.length === 0 || !outDir) {
      console.error('copyforge clean: --in and --out are required.');
      return 2;
    }
    const config = typeof values.config === 'string' ? await readConfig(values.config) : {};
    const mix = typeof values.mix === 'string' ? parseMixOption(values.mix) : config.mix;
    const paths = await expandInputs(patterns);
    const { mix: _mix, workers, shardSize, gzip, ...stageOptions } = config;
    const options: WriteCleanCorpusOptions = {
      ...stageOptions,
      outDir,
      workers: integerOption(values.workers, 'workers') ?? workers ?? availableParallelism(),
      shardSize: integerOption(values['shard-size'], 'shard-size') ?? shardSize ?? 100_000,
      gzip: values.plain === true ? false : (gzip ?? true),
      force: values.force === true,
      inputNames: paths,
    };
    if (mix) {
      const mixPaths = await expandInputs(Array.isArray(mix.path) ? mix.path : [mix.path]);
      options.mix = { source: { paths: mixPaths }, ratio: mix.ratio };
      if (mix.by) options.mix.by = mix.by;
      if (mix.seed !== undefined) options.mix.seed = mix.seed;
      if (mix.name) options.mix.name = mix.name;
    }
    const progress = createProgress({ unit: 'docs', quiet: values.quiet === true });
    let lastInput = 0;
    options.onBatch = (stats) => {
      const kept = stats.input === 0 ? 0 : (100 * stats.kept) / stats.input;
      progress.tick(stats.input - lastInput, `kept ${kept.toFixed(1)}%`);
      lastInput = stats.input;
    };
    const result = await writeCleanCorpus({ paths }, options);
    const { stats } = result;
    progress.done(
      `kept ${stats.kept}/${stats.input}, ${stats.generic} generic mixed in, ${result.manifest.shards.length} shards` +
        (result.resumedShards > 0 ? ` (${result.resumedShards} resumed)` : ''),
    );
    if (values.quiet !== true) console.error(`copyforge clean: report in ${join(outDir, 'stats.md')}`);
    for (const warning of stats.warnings) console.error(`copyforge clean: warning: ${warning}`);
    // Lines that are not JSON are input the command could not read, not documents it chose to
    // drop: say so and exit 1, as validate and score do for unreadable lines.
    const unreadable = stats.stages.read?.drops['invalid-json'];
    if (unreadable && unreadable.count > 0) {
      const first = unreadable.examples[0];
      console.error(
        `copyforge clean: CF_INVALID_JSON: ${unreadable.count} of ${stats.input} input lines are not JSON` +
          (first ? ` (first: ${first.id}: ${first.detail ?? ''})` : '') +
          '; they are listed in stats.json under stages.read.',
      );
      return 1;
    }
    return 0;
  },
};
