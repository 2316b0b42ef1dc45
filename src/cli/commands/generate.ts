import { CopyForgeEvents } from '../../core/events.js';
import { openJsonLinesWriter, readJsonLines } from '../../core/jsonl.js';
import { createForge } from '../../generation/forge.js';
import type { CliCommand } from '../command.js';
import {
  backendOptions,
  backendUsage,
  buildRewardModelSources,
  createBackendFromOptions,
  numberOption,
  stringOption,
} from '../options.js';
import { createProgress } from '../progress.js';

const usage = [
  'Usage: copyforge generate --in notes.jsonl --out creatives.jsonl [--titles 12] [--concurrency 2]',
  '                          [--seed N] [--rm usability|<package>|<path>|none ...] [backend flags] [--quiet]',
  '',
  'Writes one line per note: { noteId, note, promotionTarget, audienceTier, creatives, counts, warnings,',
  'provenance }, creatives best first with reward-model scores and `accepted`. A note that fails is',
  'reported on stderr with its error code and the rest go on (exit code 1 if any failed).',
  'Default reward models: usability and @copyforge/plugin-compliance when it is installed.',
  '',
  backendUsage,
].join('\n');

/** Reward models used when no `--rm` is given: usability, plus the compliance plugin when installed. */
export async function defaultRewardModelNames(): Promise<string[]> {
  try {
    await import('@copyforge/plugin-compliance' as string);
    return ['usability', '@copyforge/plugin-compliance'];
  } catch {
    return ['usability'];
  }
}

/** `copyforge generate`: notes in, scored creatives out. */
export const generateCommand: CliCommand = {
  name: 'generate',
  summary: 'generate and score ad titles for notes (JSONL in, JSONL out)',
  usage,
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    titles: { type: 'string' },
    concurrency: { type: 'string' },
    seed: { type: 'string' },
    rm: { type: 'string', multiple: true },
    quiet: { type: 'boolean' },
    ...backendOptions,
  },
  async run(values) {
    const input = stringOption(values, 'in');
    if (!input) {
      console.error(`copyforge generate: --in is required.\n\n${usage}`);
      return 2;
    }
    const rewardModels = await buildRewardModelSources(values, await defaultRewardModelNames());
    const backend = await createBackendFromOptions(values);
    const events = new CopyForgeEvents();
    const forge = createForge({
      backend,
      rewardModels,
      titlesPerNote: numberOption(values, 'titles') ?? 12,
      concurrency: numberOption(values, 'concurrency') ?? 2,
      events,
    });
    const seed = numberOption(values, 'seed');
    const writer = openJsonLinesWriter(stringOption(values, 'out') ?? '-');
    const progress = createProgress({ unit: 'notes', quiet: values.quiet === true });
    let failed = 0;
    let titles = 0;
    events.on('generate.title-end', () => {
      titles++;
    });
    async function* notes() {
      for await (const entry of readJsonLines(input as string)) {
        // A line that is not JSON still counts as a note: it fails validation with its line number.
        yield 'error' in entry ? { invalidJsonLine: entry.line } : entry.value;
      }
    }
    try {
      for await (const result of forge.generateMany(notes(), seed === undefined ? {} : { seed })) {
        if (result.ok) {
          await writer.write(result.value);
        } else {
          failed++;
          console.error(`note #${result.index + 1}: ${result.error.code}: ${result.error.message}`);
        }
        progress.tick(1, `${titles} titles, ${failed} failed`);
      }
    } finally {
      progress.done(`${titles} titles, ${failed} failed`);
      await writer.close();
      await forge.close();
      await backend.dispose?.();
    }
    return failed === 0 ? 0 : 1;
  },
};
