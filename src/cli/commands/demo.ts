import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Pipeline } from '../../core/runner.js';
import { validateNote } from '../../core/validation.js';
import type { Note } from '../../schemas/types.js';
import type { CliCommand } from '../command.js';
import { readJsonLines } from '../jsonl.js';
import { sampleNotesPath } from '../package-root.js';

/**
 * `copyforge demo`: runs the parts of the pipeline that exist on the bundled sample
 * notes. Today that is input validation only; it says so instead of pretending.
 */
export const demoCommand: CliCommand = {
  name: 'demo',
  summary: 'run the pipeline that exists on the bundled sample notes',
  usage: 'Usage: copyforge demo [--in notes.jsonl] [--out-dir demo-output] [--quiet]',
  options: {
    in: { type: 'string' },
    'out-dir': { type: 'string' },
    quiet: { type: 'boolean' },
  },
  async run(values) {
    const input = typeof values.in === 'string' ? values.in : sampleNotesPath();
    const outputDirectory = typeof values['out-dir'] === 'string' ? values['out-dir'] : 'demo-output';
    const pipeline = Pipeline.from<unknown>().pipe({ name: 'validate', run: (value) => validateNote(value) });
    async function* values_() {
      for await (const entry of readJsonLines(input)) {
        if ('error' in entry) throw entry.error;
        yield entry.value;
      }
    }
    const rows: string[] = [];
    const notes: Note[] = [];
    let invalid = 0;
    for await (const result of pipeline.run(values_())) {
      if (result.ok) {
        notes.push(result.value);
        rows.push(`| ${result.value.id} | ${result.value.lang ?? '?'} | ${result.value.title} | valid |`);
      } else {
        invalid++;
        rows.push(`| #${result.index} | ? | ? | ${result.error.code}: ${result.error.message} |`);
      }
    }
    const report = [
      '# CopyForge demo',
      '',
      `Input: ${input}. ${notes.length} valid notes, ${invalid} invalid.`,
      '',
      'Stages run: validate. Generation, reward models and evaluation are not part of this build yet,',
      'so no creatives are produced.',
      '',
      '| note | lang | title | result |',
      '| --- | --- | --- | --- |',
      ...rows,
      '',
    ].join('\n');
    await mkdir(outputDirectory, { recursive: true });
    await writeFile(join(outputDirectory, 'report.md'), report);
    await writeFile(join(outputDirectory, 'notes.jsonl'), `${notes.map((note) => JSON.stringify(note)).join('\n')}\n`);
    if (!values.quiet) console.log(report);
    console.log(`Wrote ${join(outputDirectory, 'report.md')} and notes.jsonl.`);
    return invalid === 0 ? 0 : 1;
  },
};
