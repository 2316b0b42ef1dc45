// labelNotes on the real default model (Gemma 3 270M base without the shipped title adapter,
// in 'labels' mode; the adapter's unified labels are tested in title-adapter.test.ts) over
// the 24 bundled sample notes, with 3 votes: every label must be schema-valid and inside the
// taxonomy, and a rerun must come entirely from the cache. Grounding and confidence are
// reported, not asserted: the 270M base model is weak, and the numbers say how weak.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlamaCppBackend, llamaCppBackend } from '../../src/backends/llama-cpp/llama-cpp-backend.js';
import { validateLabels } from '../../src/core/validation.js';
import { defaultAudienceTiers, defaultTitleStyles } from '../../src/generation/styles.js';
import { labelNotes } from '../../src/labeling/label-notes.js';
import { reachTiers } from '../../src/labeling/taxonomy.js';
import type { Note } from '../../src/schemas/types.js';
import type { ModelBackendV1 } from '../../src/spec/model-backend-v1.js';

let backend: LlamaCppBackend;
let counting: ModelBackendV1;
let calls = 0;
let cache: string;
let notes: Note[];

beforeAll(async () => {
  const text = await readFile(new URL('../../data/sample-notes.jsonl', import.meta.url), 'utf8');
  notes = text
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Note);
  cache = await mkdtemp(join(tmpdir(), 'copyforge-label-cache-'));
  backend = await llamaCppBackend({
    model: 'default',
    threads: 2,
    sequences: 3,
    contextSize: 1024,
    gpu: false,
    defaultAdapter: false,
  });
  counting = {
    specificationVersion: 'v1',
    id: backend.id,
    model: backend.model,
    generate: (request) => {
      calls++;
      return backend.generate(request);
    },
  };
});

afterAll(async () => {
  await backend?.dispose();
  if (cache) await rm(cache, { recursive: true, force: true });
});

describe('labelNotes on the default model', () => {
  it('labels the 24 sample notes with schema-valid labels, then reruns from the cache alone', async () => {
    const started = performance.now();
    const first = await labelNotes(notes, { backend: counting, votes: 3, cache, concurrency: 1 });
    const seconds = (performance.now() - started) / 1000;
    expect(first.failures.map((failure) => `${failure.noteId}: ${failure.error.message}`)).toEqual([]);
    expect(first.labelled.map((entry) => entry.noteId)).toEqual(notes.map((note) => note.id));
    const styleIds = defaultTitleStyles.map((style) => style.id);
    for (const entry of first.labelled) {
      expect(validateLabels(entry.labels)).toEqual(entry.labels);
      expect(defaultAudienceTiers).toContain(entry.labels.audienceTier);
      expect(reachTiers).toContain(entry.reachTier);
      for (const style of entry.labels.styles) expect(styleIds).toContain(style);
      expect(entry.labels.styles).toHaveLength(1);
      expect(entry.labels.confidence).toBeGreaterThan(0);
      expect(entry.labels.confidence).toBeLessThanOrEqual(1);
    }
    expect(calls).toBeGreaterThanOrEqual(24);
    const { stats } = first;
    const meanConfidence = stats.confidenceSum / stats.withConfidence;
    // The measurement this test exists to report (see docs/labeling.md).
    console.log(
      JSON.stringify({
        notes: notes.length,
        votes: 3,
        grounded: stats.grounded,
        flagged: stats.flagged,
        meanConfidence: Number(meanConfidence.toFixed(3)),
        backendCalls: stats.backendCalls,
        seconds: Number(seconds.toFixed(1)),
        labels: first.labelled.map((entry) => ({
          id: entry.noteId,
          target: entry.labels.promotionTarget,
          grounding: entry.grounding.method,
          tier: entry.labels.audienceTier,
          reach: entry.reachTier,
          style: entry.labels.styles[0],
          confidence: entry.labels.confidence,
        })),
      }),
    );

    const callsBefore = calls;
    const rerun = await labelNotes(notes, { backend: counting, votes: 3, cache, concurrency: 1 });
    expect(calls - callsBefore).toBe(0);
    expect(rerun.stats).toMatchObject({ cacheHits: 24, backendCalls: 0, labelled: 24 });
    expect(rerun.labelled.map((entry) => entry.labels)).toEqual(first.labelled.map((entry) => entry.labels));
  }, 3_600_000);
});
