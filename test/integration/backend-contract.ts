// The contract every ModelBackendV1 must meet on the real default model. The llama.cpp
// backend and the OpenAI-compatible HTTP backend both run it, so they behave alike.
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import type { Note } from '../../src/schemas/types.js';
import type { ModelBackendV1 } from '../../src/spec/model-backend-v1.js';

const notes = readFileSync(new URL('../../data/sample-notes.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Note);

const summarySchema = {
  type: 'object',
  additionalProperties: false,
  required: ['product', 'sentiment', 'keywords'],
  properties: {
    product: { type: 'string', minLength: 1, maxLength: 24 },
    sentiment: { enum: ['positive', 'neutral', 'negative'] },
    keywords: { type: 'array', minItems: 3, maxItems: 3, items: { type: 'string', minLength: 1, maxLength: 16 } },
  },
};

/** Fluent sentences; each is scored against its own word-shuffled version. */
export const fluentSentences = [
  'I use this sunscreen every morning before work.',
  'The air fryer makes crispy chicken wings in fifteen minutes.',
  'This backpack fits under the seat on most airlines.',
  'My cat finally eats every meal without complaining.',
  'The standing desk remembers four different heights.',
  'We cook rice and vegetables for the whole week on Sunday.',
  'The keyboard is quiet enough for video calls.',
  'A weighted blanket helped me fall asleep faster.',
  'The projector shows a bright picture on the bedroom wall.',
  'Water the snake plant once every two weeks.',
];

/** Deterministic shuffle that never returns the original order. */
export function shuffleWords(sentence: string): string {
  const words = sentence.replace(/\.$/, '').split(' ');
  const shuffled = words.map((_, index) => words[(index * 7 + 3) % words.length] as string);
  return `${shuffled.join(' ')}.`;
}

/**
 * Registers the contract tests. `getBackend` is called inside each test, after the
 * caller's `beforeAll` created the backend.
 */
export function backendContract(getBackend: () => ModelBackendV1): void {
  it('returns schema-valid JSON for 20 different prompts', async () => {
    const backend = getBackend();
    for (const note of notes.slice(0, 20)) {
      const result = await backend.generate!({
        messages: [
          { role: 'system', content: 'You summarise product notes as JSON.' },
          {
            role: 'user',
            content: `Note: ${note.title}. ${note.body}\nGive the product, the sentiment and 3 keywords.`,
          },
        ],
        responseFormat: { type: 'json-schema', schema: summarySchema },
        sampling: { temperature: 0.7, seed: 11, maxTokens: 160 },
      });
      const candidate = result.candidates[0];
      expect(candidate?.finishReason, note.id).toBe('stop');
      const parsed = JSON.parse(candidate?.text ?? '') as { product: string; sentiment: string; keywords: string[] };
      expect(['positive', 'neutral', 'negative']).toContain(parsed.sentiment);
      expect(parsed.keywords).toHaveLength(3);
      expect([...parsed.product].length).toBeLessThanOrEqual(24);
    }
  });

  it('gives the same output for the same seed', async () => {
    const backend = getBackend();
    const request = {
      prompt: 'A short list of summer travel tips:\n1.',
      sampling: { temperature: 0.9, topK: 40, seed: 1234, maxTokens: 24 },
    };
    const first = await backend.generate!(request);
    const second = await backend.generate!(request);
    expect(first.candidates[0]?.text.length).toBeGreaterThan(0);
    expect(second.candidates[0]?.text).toBe(first.candidates[0]?.text);
  });

  it('stops within about one token step after abort', async () => {
    const backend = getBackend();
    const controller = new AbortController();
    const started = performance.now();
    const pending = backend.generate!({
      prompt: 'Write a very long story about a cat:',
      sampling: { maxTokens: 4000, temperature: 0.8 },
      signal: controller.signal,
    });
    setTimeout(() => controller.abort(), 500);
    const abortedAt = started + 500;
    await expect(pending).rejects.toMatchObject({ code: 'CF_ABORTED' });
    // One token takes ~20–100 ms on 2 cores; 1 s is a loose bound that a run-to-completion would blow.
    expect(performance.now() - abortedAt).toBeLessThan(1000);
  });

  it('ranks a fluent sentence above its word-shuffled version for at least 9 of 10 pairs', async () => {
    const backend = getBackend();
    const { scores } = await backend.scoreText!({
      prompt: 'Here is a sentence from a product review:',
      continuations: fluentSentences.flatMap((sentence) => [` ${sentence}`, ` ${shuffleWords(sentence)}`]),
    });
    let wins = 0;
    for (let index = 0; index < fluentSentences.length; index++) {
      const fluent = scores[index * 2]?.meanLogLikelihood ?? Number.NEGATIVE_INFINITY;
      const shuffled = scores[index * 2 + 1]?.meanLogLikelihood ?? Number.POSITIVE_INFINITY;
      if (fluent > shuffled) wins++;
    }
    expect(wins).toBeGreaterThanOrEqual(9);
  });

  it('tokenizes and embeds', async () => {
    const backend = getBackend();
    expect((await backend.tokenize!('防晒霜 sunscreen')).length).toBeGreaterThan(1);
    const { embeddings, space } = await backend.embed!({ texts: ['sunscreen', 'air fryer'] });
    expect(embeddings).toHaveLength(2);
    expect(embeddings[0]?.length).toBeGreaterThan(16);
    expect(space.length).toBeGreaterThan(0);
  });
}
