// The llama.cpp backend's `lora` option on the real engine (node-llama-cpp), with the tiny
// generated model and tiny generated adapters: an adapter changes greedy output and scores,
// scale 0 or a zero adapter changes nothing, and an adapter for another model fails with
// CF_MODEL_LOAD_FAILED naming the adapter.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type LlamaCppBackendOptions, llamaCppBackend } from '../../src/backends/llama-cpp/llama-cpp-backend.js';
import { isCopyForgeError } from '../../src/core/errors.js';
import { writeTinyGguf } from '../../src/testing/tiny-gguf.js';
import { writeTinyLoraGguf } from '../../src/testing/tiny-lora.js';

let folder: string;
let modelPath: string;
let adapterPath: string;
let zeroAdapterPath: string;

interface Observation {
  text: string;
  logLikelihood: number;
}

/** Greedy output and the score of a fixed continuation, with the given adapters. */
async function observe(lora?: LlamaCppBackendOptions['lora']): Promise<Observation> {
  // One thread: on this tiny model a second one only adds synchronisation (see tiny-gguf.ts).
  const backend = await llamaCppBackend({
    modelPath,
    lora,
    threads: 1,
    sequences: 1,
    contextSize: 256,
    gpu: false,
    build: 'never',
  });
  try {
    const generated = await backend.generate({
      prompt: 'the best title for you',
      sampling: { maxTokens: 16, temperature: 0 },
    });
    const scored = await backend.scoreText({ prompt: 'the best', continuations: [' new note for you'] });
    return { text: generated.candidates[0]?.text ?? '', logLikelihood: scored.scores[0]?.logLikelihood ?? Number.NaN };
  } finally {
    await backend.dispose();
  }
}

/** The CopyForgeError a failing `llamaCppBackend` call rejects with. */
async function loadError(lora: LlamaCppBackendOptions['lora']) {
  const error = await llamaCppBackend({ modelPath, lora, threads: 1, sequences: 1, gpu: false, build: 'never' }).then(
    async (backend) => {
      await backend.dispose();
      throw new Error('expected the adapter to be rejected');
    },
    (rejection: unknown) => rejection,
  );
  if (!isCopyForgeError(error)) throw error;
  return error;
}

let base: Observation;

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'copyforge-lora-'));
  modelPath = await writeTinyGguf(join(folder, 'tiny.gguf'));
  adapterPath = await writeTinyLoraGguf(join(folder, 'tiny-lora.gguf'), { rank: 4, seed: 7 });
  zeroAdapterPath = await writeTinyLoraGguf(join(folder, 'tiny-lora-zero.gguf'), { weightScale: 0 });
  base = await observe();
});

describe('llamaCppBackend with a LoRA adapter', () => {
  it('generates text and scores a continuation without an adapter (the baseline)', () => {
    expect(base.text.length).toBeGreaterThan(0);
    expect(Number.isFinite(base.logLikelihood)).toBe(true);
  });

  it('changes greedy output and scores at scale 1', async () => {
    const adapted = await observe([{ path: adapterPath, scale: 1 }]);
    expect(adapted.text).not.toBe(base.text);
    expect(Math.abs(adapted.logLikelihood - base.logLikelihood)).toBeGreaterThan(0.5);
  });

  it('accepts a bare path, at scale 1', async () => {
    const fromString = await observe(adapterPath);
    const fromList = await observe([{ path: adapterPath }]);
    expect(fromString.text).not.toBe(base.text);
    expect(fromString).toEqual(fromList);
  });

  it('changes nothing at scale 0', async () => {
    const scaledToZero = await observe([{ path: adapterPath, scale: 0 }]);
    expect(scaledToZero.text).toBe(base.text);
    expect(scaledToZero.logLikelihood).toBeCloseTo(base.logLikelihood, 6);
  });

  it('changes nothing with an adapter of zeros, alone or stacked on another adapter', async () => {
    const zero = await observe(zeroAdapterPath);
    expect(zero.text).toBe(base.text);
    expect(zero.logLikelihood).toBeCloseTo(base.logLikelihood, 6);

    const alone = await observe(adapterPath);
    const stacked = await observe([{ path: adapterPath }, { path: zeroAdapterPath }]);
    expect(stacked.text).toBe(alone.text);
    expect(stacked.logLikelihood).toBeCloseTo(alone.logLikelihood, 6);
  });

  it('rejects an adapter written for another embedding size with CF_MODEL_LOAD_FAILED naming it', async () => {
    const wrongShape = await writeTinyLoraGguf(join(folder, 'wrong-shape.gguf'), { base: { embeddingLength: 32 } });
    const error = await loadError([{ path: wrongShape, scale: 1 }]);
    expect(error.code).toBe('CF_MODEL_LOAD_FAILED');
    expect(error.message).toContain(wrongShape);
    expect(error.details).toMatchObject({ modelPath, loraPaths: [wrongShape] });
    // llama.cpp's own reason (only in its log) is carried into the message.
    expect(error.message).toMatch(/llama\.cpp: .*shape/i);
  });

  it('warns that embed() does not apply the adapter (node-llama-cpp embedding contexts take none)', async () => {
    const backend = await llamaCppBackend({
      modelPath,
      lora: adapterPath,
      threads: 1,
      sequences: 1,
      gpu: false,
      build: 'never',
    });
    try {
      const result = await backend.embed({ texts: ['a note'] });
      expect(result.embeddings).toHaveLength(1);
      expect(result.warnings.map((warning) => (warning.type === 'other' ? warning.message : '')).join(' ')).toContain(
        'LoRA adapters are not applied',
      );
    } finally {
      await backend.dispose();
    }
  });

  it('rejects an adapter with more layers than the model, or of another architecture', async () => {
    const extraLayer = await writeTinyLoraGguf(join(folder, 'three-layers.gguf'), { base: { layers: 3 } });
    const otherArchitecture = await writeTinyLoraGguf(join(folder, 'qwen2.gguf'), { architecture: 'qwen2' });
    for (const path of [extraLayer, otherArchitecture]) {
      const error = await loadError(path);
      expect(error.code).toBe('CF_MODEL_LOAD_FAILED');
      expect(error.message).toContain(path);
    }
  });

  it('still loads the base model and the good adapter after a rejected one', async () => {
    await loadError(join(folder, 'missing-adapter.gguf'));
    const adapted = await observe(adapterPath);
    expect(adapted.text).not.toBe(base.text);
  });
});
