// The shipped title adapter on the real default model: the backend layers it by default
// (and records it), `defaultAdapter: false` turns it off, creatives carry it in provenance,
// and on two unseen validation notes of data/sft the forge gets mostly usable titles with
// a target from the note. Its full measurement is bench/quality/adapter.mjs.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultAdapterPath, loadDefaultAdapter } from '../../src/backends/llama-cpp/default-adapter.js';
import { type LlamaCppBackend, llamaCppBackend } from '../../src/backends/llama-cpp/llama-cpp-backend.js';
import { sha256OfFile } from '../../src/backends/llama-cpp/verify.js';
import { packageRoot } from '../../src/core/package-root.js';
import { createForge } from '../../src/generation/forge.js';
import { checkGrounding } from '../../src/labeling/grounding.js';
import { labelNotes } from '../../src/labeling/label-notes.js';
import { createUsabilityRewardModel } from '../../src/rm/usability/model.js';
import type { Note } from '../../src/schemas/types.js';
import { sftCorpusSplitOf, type UnifiedLabelRow } from '../../src/training/corpus.js';

let backend: LlamaCppBackend;

/** Two validation notes (never trained on), one Chinese and one English. */
function validationNotes(): Note[] {
  const rows = ['kitchen', 'travel'].flatMap((domain) =>
    readFileSync(join(packageRoot(), 'data/sft/notes', `${domain}.jsonl`), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as UnifiedLabelRow)
      .filter((row) => sftCorpusSplitOf(row.note.id) === 'validation'),
  );
  const chinese = rows.find((row) => row.note.lang === 'zh-CN');
  const english = rows.find((row) => row.note.lang === 'en');
  if (!chinese || !english) throw new Error('data/sft has no validation note of each language in kitchen/travel');
  return [chinese.note, english.note];
}

beforeAll(async () => {
  backend = await llamaCppBackend({ model: 'default', threads: 2, sequences: 2, gpu: false, scoreTopK: 40 });
});

afterAll(async () => {
  await backend?.dispose();
});

describe('the shipped title adapter', () => {
  it('is in the package with its card, notice and terms, and is layered on the default model', async () => {
    const shipped = await loadDefaultAdapter();
    expect(shipped, `no adapter at ${defaultAdapterPath()}`).toBeDefined();
    const card = shipped?.card;
    expect(card?.adapter.sha256).toBe(await sha256OfFile(defaultAdapterPath()));
    expect(card?.baseModel.sha256).toBe(backend.model?.sha256);
    expect(readFileSync(join(packageRoot(), 'data/adapters/NOTICE'), 'utf8')).toContain(
      'Gemma is provided under and subject to the Gemma Terms of Use found at ai.google.dev/gemma/terms',
    );
    expect(backend.model?.adapters).toEqual([
      { name: 'copyforge-titles-v1.gguf', sha256: card?.adapter.sha256, scale: 1 },
    ]);
  });

  it('gives grounded targets and mostly accepted titles on unseen notes, recorded in provenance', async () => {
    const forge = createForge({ backend, rewardModels: [createUsabilityRewardModel()], titlesPerNote: 12 });
    for (const note of validationNotes()) {
      const result = await forge.generate(note, { seed: 1 });
      expect(checkGrounding(result.promotionTarget, note).grounded).toBe(true);
      const accepted = result.creatives.filter((entry) => entry.accepted);
      expect(accepted.length, result.creatives.map((entry) => entry.creative.title).join(' / ')).toBeGreaterThanOrEqual(
        6,
      );
      for (const entry of result.creatives) {
        expect(entry.provenance?.adapters?.[0]?.sha256).toBe(backend.model?.adapters?.[0]?.sha256);
      }
    }
  });

  it('labels in unified mode: target from the tags, titles with styles', async () => {
    const [note] = validationNotes();
    const { labelled, failures } = await labelNotes([note as Note], { backend });
    expect(failures).toEqual([]);
    const label = labelled[0];
    expect(note?.tags).toContain(label?.labels.promotionTarget);
    expect(label?.labels.titles?.length).toBeGreaterThanOrEqual(4);
    expect(label?.labels.styles).toHaveLength(label?.labels.titles?.length ?? -1);
    expect(label?.provenance.promptVersion).toMatch(/^unified:/u);
  });

  it('`copyforge generate --lora <adapter>` uses the adapter it names and records it', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'copyforge-generate-lora-'));
    const [note] = validationNotes();
    const input = join(folder, 'notes.jsonl');
    writeFileSync(input, `${JSON.stringify(note)}\n`);
    const output = join(folder, 'creatives.jsonl');
    await promisify(execFile)(
      process.execPath,
      [
        'dist/cli.js',
        'generate',
        '--in',
        input,
        '--out',
        output,
        '--lora',
        defaultAdapterPath(),
        '--titles',
        '4',
        '--threads',
        '2',
        '--rm',
        'none',
        '--quiet',
      ],
      { timeout: 170_000 },
    );
    const line = JSON.parse(readFileSync(output, 'utf8').trim().split('\n')[0] as string);
    const provenance = (line.creatives?.[0] ?? line).provenance;
    expect(provenance.adapters?.[0]?.sha256).toBe(await sha256OfFile(defaultAdapterPath()));
  });

  it('is off with defaultAdapter: false', async () => {
    const bare = await llamaCppBackend({
      model: 'default',
      threads: 2,
      sequences: 1,
      gpu: false,
      defaultAdapter: false,
    });
    try {
      expect(bare.model?.adapters).toBeUndefined();
    } finally {
      await bare.dispose();
    }
  });
});
