// Backend mechanics on the real engine (node-llama-cpp) with a tiny generated GGUF:
// grammar, parallel sequences, abort, scoring, embeddings, dispose. Output text is
// gibberish by design; quality is tested on the real model elsewhere.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LlamaCppBackend, llamaCppBackend } from '../../src/backends/llama-cpp/llama-cpp-backend.js';
import { writeTinyGguf } from '../../src/testing/tiny-gguf.js';

let backend: LlamaCppBackend;
let modelPath: string;

beforeAll(async () => {
  modelPath = await writeTinyGguf(join(mkdtempSync(join(tmpdir(), 'copyforge-tiny-')), 'tiny.gguf'));
  backend = await llamaCppBackend({
    modelPath,
    threads: 1,
    sequences: 2,
    contextSize: 512,
    gpu: false,
    build: 'never',
  });
});

afterAll(async () => {
  await backend?.dispose();
});

const schema = {
  type: 'object',
  additionalProperties: false,
  required: ['target', 'titles'],
  properties: {
    target: { type: 'string', minLength: 1, maxLength: 8 },
    titles: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'string', minLength: 1, maxLength: 10 } },
  },
};

describe('llamaCppBackend on a tiny GGUF', () => {
  it('describes the model with its sha256 and reports a missing chat template as a warning', async () => {
    expect(backend.model?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(backend.id).toBe('llama-cpp:tiny.gguf');
    const result = await backend.generate({
      messages: [{ role: 'user', content: 'hello' }],
      sampling: { maxTokens: 4, temperature: 0 },
    });
    expect(result.warnings).toContainEqual(
      expect.objectContaining({ message: expect.stringContaining('no chat template') }),
    );
  });

  it('constrains output to a JSON schema, for several candidates in parallel', async () => {
    const result = await backend.generate({
      prompt: 'Write JSON:',
      responseFormat: { type: 'json-schema', schema },
      sampling: { maxTokens: 200, temperature: 0.8, seed: 3 },
      candidates: 3,
    });
    expect(result.candidates).toHaveLength(3);
    for (const candidate of result.candidates) {
      const parsed = JSON.parse(candidate.text) as { target: string; titles: string[] };
      expect(parsed.titles).toHaveLength(3);
      // Random byte tokens can form invalid UTF-8, which decodes to U+FFFD per byte;
      // the grammar counted the bytes as one character, so leave those out of the count.
      const length = (text: string) => [...text.replace(/\uFFFD+/g, '\uFFFD')].length;
      expect(length(parsed.target)).toBeLessThanOrEqual(8);
      for (const title of parsed.titles) expect(length(title)).toBeLessThanOrEqual(10);
      expect(candidate.finishReason).toBe('stop');
      expect(candidate.outputTokens).toBeGreaterThan(0);
    }
    expect(result.usage.outputTokens).toBe(result.candidates.reduce((sum, entry) => sum + entry.outputTokens, 0));
  });

  it('gives the same output for the same seed and reports maxTokens cuts as length', async () => {
    const request = { prompt: 'abc', sampling: { maxTokens: 12, temperature: 0.9, seed: 42 } };
    const first = await backend.generate(request);
    const second = await backend.generate(request);
    expect(second.candidates[0]?.text).toBe(first.candidates[0]?.text);
    expect(first.candidates[0]?.finishReason).toBe('length');
  });

  it('follows a GBNF grammar', async () => {
    const result = await backend.generate({
      prompt: 'x',
      responseFormat: { type: 'grammar', grammar: 'root ::= ("yes" | "no") "."' },
      sampling: { maxTokens: 8 },
    });
    expect(result.candidates[0]?.text).toMatch(/^(yes|no)\.$/);
  });

  it('stops on abort with CF_ABORTED and stays usable', async () => {
    const controller = new AbortController();
    const pending = backend.generate({ prompt: 'go', sampling: { maxTokens: 5000 }, signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toMatchObject({ code: 'CF_ABORTED' });
    const after = await backend.generate({ prompt: 'again', sampling: { maxTokens: 3 } });
    expect(after.candidates).toHaveLength(1);
  });

  it('scores continuations with finite log-likelihoods, reusing the prompt', async () => {
    const { scores } = await backend.scoreText({
      prompt: 'The note says',
      continuations: ['hello world', '你好', 'x'],
    });
    expect(scores).toHaveLength(3);
    for (const score of scores) {
      expect(Number.isFinite(score.logLikelihood)).toBe(true);
      expect(score.logLikelihood).toBeLessThan(0);
      expect(score.meanLogLikelihood).toBeCloseTo(score.logLikelihood / score.tokenCount);
    }
    // Scoring is deterministic: the same request gives the same numbers.
    const again = await backend.scoreText({ prompt: 'The note says', continuations: ['hello world'] });
    expect(again.scores[0]?.logLikelihood).toBeCloseTo(scores[0]?.logLikelihood ?? 0, 5);
  });

  it('embeds and tokenizes (Chinese via byte fallback)', async () => {
    const { embeddings, space } = await backend.embed({ texts: ['a', '防晒霜'] });
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]?.length).toBe(64);
    expect(space).toBe(`llama-cpp:${backend.model?.sha256}`);
    expect((await backend.tokenize('防晒')).length).toBeGreaterThanOrEqual(2);
  });

  it('does not leak across 1,000 generate calls', async () => {
    const before = process.memoryUsage().rss;
    for (let index = 0; index < 1000; index++) {
      await backend.generate({ prompt: `n${index}`, sampling: { maxTokens: 2, temperature: 0 } });
    }
    const grown = process.memoryUsage().rss - before;
    // Loose bound: a leak of a context or sequence per call would grow far beyond this.
    expect(grown).toBeLessThan(64 * 1024 * 1024);
  });
});
