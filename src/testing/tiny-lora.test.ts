import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readGgufInfo } from '../backends/llama-cpp/gguf-info.js';
import { tinyGgufTensorShapes } from './tiny-gguf.js';
import { buildTinyLoraGguf, writeTinyLoraGguf } from './tiny-lora.js';

const folder = mkdtempSync(join(tmpdir(), 'copyforge-tiny-lora-'));

/** The last `valueCount` F32 values of a file: its whole data section when no tensor needs padding. */
function tensorValues(bytes: Uint8Array, valueCount: number): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const values = new Float32Array(valueCount);
  const start = bytes.byteLength - valueCount * 4;
  for (let index = 0; index < valueCount; index++) values[index] = view.getFloat32(start + index * 4, true);
  return values;
}

describe('buildTinyLoraGguf', () => {
  it("writes llama.cpp's adapter metadata", async () => {
    const path = await writeTinyLoraGguf(join(folder, 'adapter.gguf'), { rank: 2, alpha: 8 });
    const info = await readGgufInfo(path);
    expect(info.architecture).toBe('llama');
    expect(info.metadata['general.type']).toBe('adapter');
    expect(info.metadata['adapter.type']).toBe('lora');
    expect(info.metadata['adapter.lora.alpha']).toBe(8);
  });

  it('writes an A/B pair of rank × (in + out) weights per targeted matrix', async () => {
    const rank = 4;
    const base = { layers: 3, embeddingLength: 32, headCount: 2, feedForwardLength: 48 };
    const path = await writeTinyLoraGguf(join(folder, 'q-v-output.gguf'), {
      base,
      rank,
      targets: ['attn_q', 'attn_v', 'output'],
    });
    const info = await readGgufInfo(path);
    const vocabularySize = tinyGgufTensorShapes(base).find((shape) => shape.name === 'output.weight')?.dimensions[1];
    expect(vocabularySize).toBeGreaterThan(256);
    // Three layers × (q, v) + output, two tensors each.
    expect(info.tensorCount).toBe((3 * 2 + 1) * 2);
    expect(info.parameterCount).toBe(3 * 2 * rank * (32 + 32) + rank * (32 + (vocabularySize ?? 0)));
  });

  it('targets every linear layer by default', async () => {
    const info = await readGgufInfo(await writeTinyLoraGguf(join(folder, 'all.gguf')));
    // Two layers × (4 attention + 3 feed-forward matrices) + output, two tensors each.
    expect(info.tensorCount).toBe((2 * 7 + 1) * 2);
  });

  it('is deterministic per seed, and all zeros at weightScale 0', () => {
    const options = { rank: 2, targets: ['attn_q' as const] };
    expect(buildTinyLoraGguf({ ...options, seed: 3 })).toEqual(buildTinyLoraGguf({ ...options, seed: 3 }));
    expect(buildTinyLoraGguf({ ...options, seed: 3 })).not.toEqual(buildTinyLoraGguf({ ...options, seed: 4 }));

    // Two layers × (A: 64 × 2, B: 2 × 64).
    const valueCount = 2 * (64 * 2 + 2 * 64);
    const random = tensorValues(buildTinyLoraGguf({ ...options, weightScale: 0.5 }), valueCount);
    expect(random.some((value) => value !== 0)).toBe(true);
    expect(random.every((value) => Math.abs(value) <= 0.5)).toBe(true);
    const zeros = tensorValues(buildTinyLoraGguf({ ...options, weightScale: 0 }), valueCount);
    expect(zeros.every((value) => value === 0)).toBe(true);
  });

  it('rejects a rank that is not a positive integer and an empty target list', () => {
    expect(() => buildTinyLoraGguf({ rank: 0 })).toThrow(/rank/);
    expect(() => buildTinyLoraGguf({ rank: 1.5 })).toThrow(/rank/);
    expect(() => buildTinyLoraGguf({ targets: [] })).toThrow(/targets/);
  });
});
