import { describe, expect, it } from 'vitest';
import { isCopyForgeError } from '../core/errors.js';
import { validateCleanConfig } from './config.js';

function issuesOf(value: unknown): { path: string; rule: string }[] {
  try {
    validateCleanConfig(value);
  } catch (error) {
    if (isCopyForgeError(error, 'CF_INVALID_CONFIG')) return error.issues.map(({ path, rule }) => ({ path, rule }));
    throw error;
  }
  return [];
}

describe('validateCleanConfig', () => {
  it('accepts a full config and switched-off stages', () => {
    const config = {
      normalise: { traditionalToSimplified: true, emoji: 'strip', hashtags: 'extract' },
      pii: { types: ['phone', 'email'], placeholders: { phone: '[电话]' } },
      filters: { length: { minCharacters: 20 }, spam: false, repetition: { maxTopNgramFraction: { 2: 0.3 } } },
      exactDedup: true,
      nearDedup: { bands: 20, rows: 5, cjkShingleSize: 3 },
      workers: 2,
      shardSize: 50_000,
      gzip: false,
      mix: { path: 'generic.jsonl', ratio: 0.3, by: 'tokens', seed: 7 },
    };
    expect(validateCleanConfig(config)).toBe(config);
    expect(validateCleanConfig({ pii: false, nearDedup: false, filters: false })).toEqual({
      pii: false,
      nearDedup: false,
      filters: false,
    });
  });

  it('names the offending field', () => {
    expect(issuesOf({ filters: { cjkRatio: { minRatio: 1.5 } } })).toContainEqual({
      path: '/filters/cjkRatio/minRatio',
      rule: 'maximum',
    });
    expect(issuesOf({ nearDedup: { bandz: 3 } })).toContainEqual({
      path: '/nearDedup/bandz',
      rule: 'additionalProperties',
    });
    expect(issuesOf({ mix: { path: 'g.jsonl', ratio: 1 } })).toContainEqual({
      path: '/mix/ratio',
      rule: 'exclusiveMaximum',
    });
    expect(issuesOf({ pii: { types: ['passport'] } })).toContainEqual({ path: '/pii/types/0', rule: 'enum' });
  });

  it('puts the field in the message', () => {
    expect(() => validateCleanConfig({ workers: -1 })).toThrow(/'\/workers'/);
  });
});
