#!/usr/bin/env node
// Writes the shipped adapter's training data: every lint-clean note of data/sft/notes on
// the train side of the corpus split, as prompt-completion JSONL (unified examples, the
// format `copyforge dataset sft --format completion` writes). Validation notes never enter.
// Usage: node scripts/sft/build-train-data.mjs <out-dir>   (needs `npm run build` first)
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { completionRecordsOf, readUnifiedLabelRows, sftCorpusSplitOf } from '../../dist/index.js';
import { lintRow, notesDirectory } from './lint-corpus.mjs';

const out = process.argv[2];
if (!out) throw new Error('usage: build-train-data.mjs <out-dir>');
const rows = { train: [], validation: [] };
let rejected = 0;
for (const file of (await readdir(notesDirectory)).filter((name) => name.endsWith('.jsonl')).sort()) {
  for (const row of await readUnifiedLabelRows(join(notesDirectory, file))) {
    if ((await lintRow(row)).length > 0) {
      rejected += 1;
      continue;
    }
    rows[sftCorpusSplitOf(row.note.id)].push(row);
  }
}
await mkdir(out, { recursive: true });
for (const split of ['train', 'validation']) {
  const lines = completionRecordsOf(rows[split]).map((record) => JSON.stringify(record));
  await writeFile(join(out, `${split}.jsonl`), lines.length ? `${lines.join('\n')}\n` : '');
  await writeFile(join(out, `${split}-notes.jsonl`), `${rows[split].map((row) => JSON.stringify(row)).join('\n')}\n`);
}
console.log(`train ${rows.train.length}, validation ${rows.validation.length}, left out (lint errors) ${rejected}`);
