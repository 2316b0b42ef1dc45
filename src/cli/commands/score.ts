import { CopyForgeError, isCopyForgeError } from '../../core/errors.js';
import { openJsonLinesWriter, readJsonLines } from '../../core/jsonl.js';
import { validateCreative, validateNote } from '../../core/validation.js';
import { createRewardModelHost } from '../../rm/host.js';
import type { Creative, Note } from '../../schemas/types.js';
import type { CliCommand } from '../command.js';
import { buildRewardModelSources, numberOption, readJsonFile, stringOption } from '../options.js';
import { sampleNotesPath } from '../package-root.js';
import { createProgress } from '../progress.js';

const usage = [
  'Usage: copyforge score --in creatives.jsonl --out scored.jsonl [--notes notes.jsonl]',
  '                       [--rm usability|attractiveness|<package>|<path> ...] [--config configs.json]',
  '                       [--usability-weights w.json] [--attractiveness-weights w.json]',
  '                       [--top-k N] [--lambda 0.7] [--timeout-ms 10000] [--isolation worker] [--quiet]',
  '',
  'Each input line is a Creative, {"creative": {...}, "note": {...}}, or a title a person wrote:',
  '{"noteId", "title"} with optional style, promotionTarget, audienceTier, id. Notes of bare',
  'creatives are looked up by noteId in --notes (default: the bundled sample notes).',
  'Consecutive creatives of one note are scored together by every --rm (default: usability),',
  'then the policy vetoes, ranks and picks the top K with MMR diversity. Writes one',
  'ScoredCreative per line, best first within each note. Plugins given as a package name',
  'or path are loaded with import(); --isolation worker runs them in worker threads.',
  'No model backend is attached here: fluency is reported as unavailable, and the',
  'attractiveness model needs lexical-only weights (trained without embeddings).',
].join('\n');

/**
 * A title written by a person, as `{ noteId, title }` with optional `style`, `promotionTarget`,
 * `audienceTier` and `id`, completed into a Creative: the id from the line, style
 * `unspecified`, the target from the note's first tag (else its title), the tier `broad`.
 * Anything else passes through unchanged for the Creative schema to judge.
 */
function completeMinimalRow(value: unknown, line: number, notes: ReadonlyMap<string, Note>): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return value;
  const row = value as Record<string, unknown>;
  if ('controls' in row || typeof row.noteId !== 'string' || typeof row.title !== 'string') return value;
  const note = notes.get(row.noteId);
  const { promotionTarget, audienceTier, ...rest } = row;
  return {
    id: `${row.noteId}#line-${line}`,
    style: 'unspecified',
    ...rest,
    controls: {
      promotionTarget: promotionTarget ?? note?.tags?.[0] ?? (note?.title || 'unspecified'),
      audienceTier: audienceTier ?? 'broad',
    },
  };
}

/** `copyforge score`: scores creatives with reward models and applies the acceptance policy. */
export const scoreCommand: CliCommand = {
  name: 'score',
  summary: 'score creatives with reward models (built-in or plugins) and rank them',
  usage,
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    notes: { type: 'string' },
    rm: { type: 'string', multiple: true },
    config: { type: 'string' },
    'usability-weights': { type: 'string' },
    'attractiveness-weights': { type: 'string' },
    'top-k': { type: 'string' },
    lambda: { type: 'string' },
    'timeout-ms': { type: 'string' },
    isolation: { type: 'string' },
    quiet: { type: 'boolean' },
  },
  async run(values) {
    const input = stringOption(values, 'in');
    if (!input) {
      console.error(`copyforge score: --in is required.\n\n${usage}`);
      return 2;
    }
    const isolation = stringOption(values, 'isolation');
    if (isolation !== undefined && isolation !== 'worker' && isolation !== 'in-process') {
      console.error("copyforge score: --isolation must be 'worker' or 'in-process'.");
      return 2;
    }
    const configPath = stringOption(values, 'config');
    const host = await createRewardModelHost({
      rewardModels: await buildRewardModelSources(values),
      configs: configPath ? ((await readJsonFile(configPath)) as Record<string, unknown>) : undefined,
      timeoutMs: numberOption(values, 'timeout-ms'),
      isolation,
    });
    const policy = { topK: numberOption(values, 'top-k'), diversityLambda: numberOption(values, 'lambda') };
    const notes = new Map<string, Note>();
    const notesPath = stringOption(values, 'notes') ?? sampleNotesPath();
    for await (const entry of readJsonLines(notesPath)) {
      try {
        if ('error' in entry) throw entry.error;
        const note = validateNote(entry.value);
        notes.set(note.id, note);
      } catch (error) {
        if (!isCopyForgeError(error)) throw error;
        throw new CopyForgeError('CF_INVALID_INPUT', `${notesPath} line ${entry.line}: ${error.message}`, {
          cause: error,
          issues: [...error.issues],
        });
      }
    }
    const writer = openJsonLinesWriter(stringOption(values, 'out') ?? '-');
    const progress = createProgress({ unit: 'creatives', quiet: values.quiet === true });
    let batch: { note: Note; creatives: Creative[] } | undefined;
    let scored = 0;
    let accepted = 0;
    let invalid = 0;
    const flush = async () => {
      if (!batch) return;
      const ranked = await host.scoreAndSelect(batch.note, batch.creatives, { policy });
      for (const item of ranked) await writer.write(item);
      scored += ranked.length;
      accepted += ranked.filter((item) => item.accepted).length;
      progress.tick(ranked.length, `${accepted} accepted`);
      batch = undefined;
    };
    try {
      for await (const entry of readJsonLines(input)) {
        try {
          if ('error' in entry) throw entry.error;
          // Any JSON value may come in (null, a number, an array): only objects are unwrapped.
          const value = entry.value;
          const wrapped =
            typeof value === 'object' && value !== null && !Array.isArray(value) && 'creative' in value
              ? (value as { creative?: unknown; note?: unknown })
              : undefined;
          let creative: Creative;
          let note: Note | undefined;
          try {
            creative = validateCreative(completeMinimalRow(wrapped ? wrapped.creative : value, entry.line, notes));
            note = wrapped?.note === undefined ? notes.get(creative.noteId) : validateNote(wrapped.note);
          } catch (error) {
            // A bad input line is bad input, whatever validator caught it.
            if (!isCopyForgeError(error)) throw error;
            throw new CopyForgeError('CF_INVALID_INPUT', error.message, { cause: error, issues: [...error.issues] });
          }
          if (!note) {
            throw new CopyForgeError('CF_INVALID_INPUT', `note '${creative.noteId}' is not in ${notesPath}.`, {
              issues: [{ path: '/noteId', rule: 'reference', message: `'/noteId' is not in ${notesPath}` }],
            });
          }
          if (batch && batch.note.id !== note.id) await flush();
          batch ??= { note, creatives: [] };
          batch.creatives.push(creative);
        } catch (error) {
          if (!isCopyForgeError(error)) throw error;
          invalid++;
          console.error(`line ${entry.line}: ${error.code}: ${error.message}`);
        }
      }
      await flush();
    } finally {
      await host.close();
      await writer.close();
    }
    progress.done(`${scored} scored, ${accepted} accepted, ${invalid} invalid lines`);
    return invalid === 0 ? 0 : 1;
  },
};
