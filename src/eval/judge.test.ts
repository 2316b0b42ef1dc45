import { describe, expect, it } from 'vitest';
import { isCopyForgeError } from '../core/errors.js';
import type { GenerateRequestV1 } from '../spec/model-backend-v1.js';
import { createMockBackend } from '../testing/mock-backend.js';
import { type GsbPair, judgeGsb } from './judge.js';

const pairs: GsbPair[] = ['n1', 'n2', 'n3'].map((noteId) => ({
  id: noteId,
  noteId,
  note: { id: noteId, title: 'Travel backpack', body: 'A 40L carry-on for a week.' },
  goal: 'Sell the 40L backpack to frequent flyers',
  system: [`OURS ${noteId} one`, `OURS ${noteId} two`],
  baseline: [`THEIRS ${noteId}`],
}));

/** The user turn of a judge request, split into its two lists. */
function lists(request: GenerateRequestV1): { a: string; b: string } {
  const user = request.messages?.find((message) => message.role === 'user')?.content ?? '';
  const [, rest = ''] = user.split('Titles A:\n');
  const [a = '', b = ''] = rest.split('\n\nTitles B:\n');
  return { a, b };
}

describe('judgeGsb', () => {
  it('asks twice per pair with the order swapped, constrained to the verdict schema', async () => {
    // A fair judge that always prefers our titles, wherever they are shown.
    const backend = createMockBackend({
      respond: (request) =>
        JSON.stringify({ verdict: lists(request).a.includes('OURS') ? 'A' : 'B', reason: 'more specific' }),
    });
    const result = await judgeGsb(pairs, { backend });
    expect(backend.generateCalls).toHaveLength(2 * pairs.length);
    const orders = backend.generateCalls.map((request) => (lists(request).a.includes('OURS') ? 'ours' : 'theirs'));
    expect(orders.filter((order) => order === 'ours')).toHaveLength(3);
    expect(orders.filter((order) => order === 'theirs')).toHaveLength(3);
    const first = backend.generateCalls[0];
    expect(first?.responseFormat).toMatchObject({ type: 'json-schema' });
    expect(first?.messages?.[1]?.content).toContain('Sell the 40L backpack to frequent flyers');
    expect(result.judgements.map((judgement) => judgement.verdict)).toEqual(['good', 'good', 'good']);
    expect(result.judgements[0]?.votes.map((vote) => vote.order)).toEqual(['system-first', 'baseline-first']);
    expect(result.gsb).toMatchObject({ good: 3, same: 0, bad: 0, score: 1 });
  });

  it('turns position bias into same: a judge that always says A gives no wins', async () => {
    const backend = createMockBackend({ respond: () => JSON.stringify({ verdict: 'A', reason: 'first is better' }) });
    const result = await judgeGsb(pairs, { backend, concurrency: 1 });
    expect(backend.generateCalls).toHaveLength(6);
    expect(result.gsb).toMatchObject({ good: 0, same: 3, bad: 0, score: 0 });
  });

  it('retries a malformed answer, then reports the pair as failed and goes on', async () => {
    let call = 0;
    const backend = createMockBackend({
      respond: (request) => {
        call++;
        const { a } = lists(request);
        if (a.includes('n2')) return 'not json';
        if (call === 1) return JSON.stringify({ verdict: 'maybe', reason: '' });
        return JSON.stringify({ verdict: a.includes('OURS') ? 'B' : 'A', reason: 'theirs is better' });
      },
    });
    const result = await judgeGsb(pairs, { backend, retries: 1, concurrency: 1 });
    expect(result.failures.map((failure) => failure.id)).toEqual(['n2']);
    expect(result.failures[0]?.error.code).toBe('CF_INVALID_OUTPUT');
    expect(result.gsb).toMatchObject({ good: 0, same: 0, bad: 2, total: 2 });
    // n1: 2 calls + 1 retry; n2: 2 calls × 2 attempts; n3: 2 calls
    expect(backend.generateCalls).toHaveLength(9);
  });

  it('reports a pair whose backend call keeps failing, and judges the others', async () => {
    const backend = createMockBackend({
      respond: (request) => {
        if (lists(request).a.includes('n1')) throw new Error('connection reset');
        return JSON.stringify({ verdict: 'same', reason: 'equal' });
      },
    });
    const result = await judgeGsb(pairs, { backend, retries: 0 });
    expect(result.failures.map((failure) => [failure.id, failure.error.code])).toEqual([
      ['n1', 'CF_BACKEND_REQUEST_FAILED'],
    ]);
    expect(result.gsb).toMatchObject({ same: 2, total: 2, score: 0 });
  });

  it('needs a backend that can generate', async () => {
    const backend = createMockBackend();
    await expect(judgeGsb(pairs, { backend })).rejects.toSatisfy((error) =>
      isCopyForgeError(error, 'CF_CAPABILITY_MISSING'),
    );
  });
});
