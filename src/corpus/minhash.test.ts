import { describe, expect, it } from 'vitest';
import { createRandom, fmix32, HashSet64, hashString32 } from './hash.js';
import { estimateJaccard, LshIndex, lshCandidateProbability, lshThreshold, MinHasher, shingleText } from './minhash.js';

/** Two shingle sets of `size` values each with Jaccard similarity exactly `shared / (2 × size − shared)`. */
function pairWithOverlap(random: () => number, size: number, shared: number): [Uint32Array, Uint32Array] {
  const left = new Uint32Array(size);
  const right = new Uint32Array(size);
  for (let index = 0; index < size; index++) {
    const common = (random() * 2 ** 32) >>> 0;
    left[index] = common;
    right[index] = index < shared ? common : (random() * 2 ** 32) >>> 0;
  }
  return [left, right];
}

function candidateRate(similarityShared: number, pairs: number, seed: number, bands = 14, rows = 8): number {
  const random = createRandom(seed);
  const hasher = new MinHasher({ bands, rows, seed });
  let hits = 0;
  for (let pair = 0; pair < pairs; pair++) {
    const [left, right] = pairWithOverlap(random, 100, similarityShared);
    const index = new LshIndex(bands, rows, 64);
    index.query(hasher.signShingles(left), 0, true, 1);
    if (index.query(hasher.signShingles(right)) !== 0) hits++;
  }
  return hits / pairs;
}

describe('hashing', () => {
  it('is deterministic and seed-dependent', () => {
    expect(hashString32('小红书')).toBe(hashString32('小红书'));
    expect(hashString32('小红书', 1)).not.toBe(hashString32('小红书', 2));
    expect(fmix32(0)).toBe(0);
    expect(fmix32(1)).not.toBe(1);
  });

  it('HashSet64 grows and remembers keys', () => {
    const set = new HashSet64(16);
    for (let index = 0; index < 10_000; index++) expect(set.add(index, index * 7)).toBe(true);
    expect(set.add(5, 35)).toBe(false);
    expect(set.has(9_999, 69_993)).toBe(true);
    expect(set.has(9_999, 1)).toBe(false);
    expect(set.size).toBe(10_000);
  });

  it('createRandom is reproducible', () => {
    const first = createRandom(7);
    const second = createRandom(7);
    expect([first(), first()]).toEqual([second(), second()]);
  });
});

describe('shingling', () => {
  it('uses character n-grams for CJK text, ignoring punctuation and spaces', () => {
    const result = shingleText('今天，天气 很好', { cjkShingleSize: 2 });
    expect(result.scheme).toBe('cjk');
    expect(result.hashes.length).toBe(5);
    expect(Array.from(shingleText('今天天气很好', { cjkShingleSize: 2 }).hashes)).toEqual(Array.from(result.hashes));
  });

  it('uses case-folded word n-grams for Latin text', () => {
    const result = shingleText('The quick brown fox jumps', { latinShingleSize: 2 });
    expect(result.scheme).toBe('latin');
    expect(result.hashes.length).toBe(4);
    expect(Array.from(shingleText('the QUICK, brown fox jumps!', { latinShingleSize: 2 }).hashes)).toEqual(
      Array.from(result.hashes),
    );
  });

  it('treats a Latin word inside Chinese text as one unit', () => {
    expect(shingleText('我的iPhone很好用', { cjkShingleSize: 2 }).hashes.length).toBe(5);
  });

  it('gives one shingle when the text is shorter than n', () => {
    expect(shingleText('你好', { cjkShingleSize: 5 }).hashes.length).toBe(1);
    expect(shingleText('！！', { cjkShingleSize: 5 }).hashes.length).toBe(0);
  });
});

describe('MinHash', () => {
  it('estimates Jaccard similarity', () => {
    const random = createRandom(3);
    const hasher = new MinHasher({ bands: 32, rows: 8 });
    const [left, right] = pairWithOverlap(random, 200, 120); // J = 120 / 280 ≈ 0.43
    const estimate = estimateJaccard(hasher.signShingles(left), hasher.signShingles(right));
    expect(estimate).toBeGreaterThan(0.33);
    expect(estimate).toBeLessThan(0.53);
    expect(estimateJaccard(hasher.signText('同一段文字'), hasher.signText('同一段文字'))).toBe(1);
  });

  it('documents the threshold formula', () => {
    expect(lshThreshold(14, 8)).toBeCloseTo(0.719, 3);
    expect(lshThreshold(20, 13)).toBeCloseTo(0.794, 3);
    expect(lshCandidateProbability(lshThreshold(14, 8), 14, 8)).toBeGreaterThan(0.6);
    expect(lshCandidateProbability(lshThreshold(14, 8), 14, 8)).toBeLessThan(0.7);
  });
});

describe('LSH threshold behaviour (fixed seeds)', () => {
  // 100-shingle sets: shared 90 → J = 90/110 ≈ 0.82; shared 50 → J = 50/150 ≈ 0.33; shared 70 → J ≈ 0.54.
  const above = candidateRate(90, 300, 11);
  const near = candidateRate(70, 300, 12);
  const below = candidateRate(50, 300, 13);

  it('pairs above the threshold collide far more often than pairs below', () => {
    expect(above).toBeGreaterThan(0.85);
    expect(below).toBeLessThan(0.05);
    expect(above).toBeGreaterThan(below * 10);
  });

  it('follows the S-curve 1 − (1 − s^r)^b within sampling error', () => {
    expect(Math.abs(above - lshCandidateProbability(90 / 110, 14, 8))).toBeLessThan(0.08);
    expect(Math.abs(near - lshCandidateProbability(70 / 130, 14, 8))).toBeLessThan(0.08);
    expect(Math.abs(below - lshCandidateProbability(50 / 150, 14, 8))).toBeLessThan(0.05);
  });

  it('more rows raise the threshold', () => {
    expect(candidateRate(70, 200, 21, 14, 16)).toBeLessThan(candidateRate(70, 200, 21, 14, 4));
  });
});
