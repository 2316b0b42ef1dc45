import { isCopyForgeError } from '../../core/errors.js';
import { openJsonLinesWriter, readJsonLines } from '../../core/jsonl.js';
import { parseNoteEvent, validateNote } from '../../core/validation.js';
import type { Note, NoteEvent } from '../../schemas/types.js';
import type { CliCommand } from '../command.js';
import { createProgress } from '../progress.js';

/** `copyforge validate`: checks notes or note events against the schemas. */
export const validateCommand: CliCommand = {
  name: 'validate',
  summary: 'check notes (or note events) against the JSON Schemas',
  usage: [
    'Usage: copyforge validate --in notes.jsonl [--events] [--out errors.jsonl] [--quiet]',
    '',
    'Validates every line; writes one {line, code, issues} record per invalid line to --out',
    '(default: stdout). Exits 1 when any line is invalid.',
  ].join('\n'),
  options: {
    in: { type: 'string' },
    out: { type: 'string' },
    events: { type: 'boolean' },
    quiet: { type: 'boolean' },
  },
  async run(values) {
    const input = typeof values.in === 'string' ? values.in : undefined;
    if (!input) {
      console.error('copyforge validate: --in is required.');
      return 2;
    }
    const writer = openJsonLinesWriter(typeof values.out === 'string' ? values.out : '-');
    const progress = createProgress({ unit: 'lines', quiet: values.quiet === true });
    let valid = 0;
    let invalid = 0;
    for await (const entry of readJsonLines(input)) {
      let error: unknown;
      if ('error' in entry) {
        error = entry.error;
      } else {
        try {
          // The line as read: re-serialising a value nested 20,000 levels deep would overflow the stack.
          if (values.events) parseNoteEvent(entry.text) satisfies NoteEvent;
          else validateNote(entry.value) satisfies Note;
        } catch (caught) {
          error = caught;
        }
      }
      if (error === undefined) {
        valid++;
      } else if (isCopyForgeError(error)) {
        invalid++;
        await writer.write({ line: entry.line, code: error.code, message: error.message, issues: error.issues });
      } else {
        throw error;
      }
      progress.tick(1, `${invalid} invalid`);
    }
    progress.done(`${valid} valid, ${invalid} invalid`);
    await writer.close();
    return invalid === 0 ? 0 : 1;
  },
};
