import { describe, expect, it } from 'vitest';
import { isCopyForgeError } from '../core/errors.js';
import { createSeededRandom, shuffled } from '../core/random.js';
import { sampleBaseline } from './baseline.js';
import { bootstrapInterval, cohenAgreement, computeGsb, type GsbVerdict } from './gsb.js';

function verdicts(good: number, same: number, bad: number): GsbVerdict[] {
  return [
    ...Array<GsbVerdict>(good).fill('good'),
    ...Array<GsbVerdict>(same).fill('same'),
    ...Array<GsbVerdict>(bad).fill('bad'),
  ];
}

describe('computeGsb', () => {
  it('is (G − B) / (G + S + B)', () => {
    // G = 12, S = 5, B = 3 → (12 − 3) / 20 = 0.45
    expect(computeGsb(verdicts(12, 5, 3))).toEqual({ good: 12, same: 5, bad: 3, total: 20, score: 0.45 });
    // all same → 0; all bad → −1
    expect(computeGsb(verdicts(0, 4, 0)).score).toBe(0);
    expect(computeGsb(verdicts(0, 0, 2)).score).toBe(-1);
    expect(computeGsb([]).score).toBeNull();
  });
});

describe('bootstrapInterval', () => {
  it('covers the point estimate and is reproducible for a seed', () => {
    const sample = shuffled(verdicts(12, 5, 3), createSeededRandom(5));
    const interval = bootstrapInterval(sample, { seed: 11 });
    const point = computeGsb(sample).score as number;
    expect(interval).not.toBeNull();
    expect(interval?.lower).toBeLessThan(point);
    expect(interval?.upper).toBeGreaterThan(point);
    expect(interval?.lower).toBeGreaterThanOrEqual(-1);
    expect(interval?.upper).toBeLessThanOrEqual(1);
    expect(bootstrapInterval(sample, { seed: 11 })).toEqual(interval);
    // The normal approximation gives ±1.96·sd/√n = ±1.96·0.669/√20 ≈ ±0.29 around 0.45.
    expect((interval?.upper ?? 0) - (interval?.lower ?? 0)).toBeGreaterThan(0.4);
    expect((interval?.upper ?? 0) - (interval?.lower ?? 0)).toBeLessThan(0.75);
  });

  it('is a single point when every verdict is the same, null when empty, and checks options', () => {
    expect(bootstrapInterval(verdicts(3, 0, 0), { resamples: 50 })).toMatchObject({ lower: 1, upper: 1 });
    expect(bootstrapInterval([])).toBeNull();
    expect(() => bootstrapInterval(verdicts(1, 0, 0), { confidence: 1 })).toThrow(/confidence/);
  });
});

describe('cohenAgreement', () => {
  it('matches the hand computation', () => {
    const judge: GsbVerdict[] = ['good', 'good', 'same', 'bad', 'bad', 'good'];
    const human: GsbVerdict[] = ['good', 'same', 'same', 'bad', 'good', 'good'];
    // agree on items 1, 3, 4, 6 → p_o = 4/6 = 24/36
    // judge shares g 3/6, s 1/6, b 2/6; human g 3/6, s 2/6, b 1/6
    // p_e = 9/36 + 2/36 + 2/36 = 13/36; kappa = (24/36 − 13/36) / (1 − 13/36) = 11/23
    const result = cohenAgreement(judge, human);
    expect(result.items).toBe(6);
    expect(result.percentAgreement).toBeCloseTo(4 / 6, 12);
    expect(result.kappa).toBeCloseTo(11 / 23, 12);
  });

  it('handles perfect agreement on one category and mismatched lengths', () => {
    expect(cohenAgreement(['same', 'same'], ['same', 'same'])).toEqual({ items: 2, percentAgreement: 1, kappa: null });
    expect(() => cohenAgreement(['good'], [])).toThrow(/same number/);
  });
});

describe('sampleBaseline', () => {
  const pool = Array.from({ length: 30 }, (_, index) => ({ noteId: `n${index}`, title: `title ${index}` }));

  it('draws 12 distinct titles per note, never the note’s own, reproducibly', () => {
    const baseline = sampleBaseline(pool, ['n0', 'n1'], { seed: 3 });
    expect(baseline.map((entry) => entry.titles.length)).toEqual([12, 12]);
    expect(new Set(baseline[0]?.titles).size).toBe(12);
    expect(baseline[0]?.titles).not.toContain('title 0');
    expect(baseline[1]?.titles).not.toContain('title 1');
    expect(sampleBaseline(pool, ['n0', 'n1'], { seed: 3 })).toEqual(baseline);
    expect(sampleBaseline(pool, ['n0', 'n1'], { seed: 4 })).not.toEqual(baseline);
  });

  it('uses the whole pool when it is small, skips empty titles, and checks count', () => {
    const small = [
      { noteId: 'a', title: 'A' },
      { noteId: 'b', title: '' },
      { noteId: 'c', title: 'C' },
    ];
    expect(sampleBaseline(small, ['a'], { count: 12 })[0]?.titles).toEqual(['C']);
    expect(sampleBaseline(small, ['a'], { excludeOwnTitle: false })[0]?.titles.sort()).toEqual(['A', 'C']);
    let caught: unknown;
    try {
      sampleBaseline(small, ['a'], { count: 0 });
    } catch (error) {
      caught = error;
    }
    expect(isCopyForgeError(caught, 'CF_INVALID_CONFIG')).toBe(true);
  });
});
