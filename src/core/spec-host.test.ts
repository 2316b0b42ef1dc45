import { describe, expect, it } from 'vitest';
import { VERSION } from '../version.js';
import { definePlugin, defineRewardModel, resolveBackend, resolvePlugin, resolveRewardModel } from './spec-host.js';

const rewardModel = defineRewardModel({
  name: 'always-pass',
  version: '1.0.0',
  configSchema: { type: 'object' },
  async scoreBatch(candidates) {
    return candidates.map(() => ({ score: 1, verdict: 'pass' as const, reasons: [] }));
  },
});

describe('contract host', () => {
  it('accepts v1 and rejects unknown specification versions with a coded error', () => {
    expect(resolveBackend({ specificationVersion: 'v1', id: 'b' }).id).toBe('b');
    expect(() => resolveBackend({ specificationVersion: 'v2', id: 'b' })).toThrow(
      expect.objectContaining({ code: 'CF_UNSUPPORTED_SPECIFICATION_VERSION' }),
    );
    expect(() => resolveRewardModel({ ...rewardModel, specificationVersion: 'v0' })).toThrow(
      expect.objectContaining({ code: 'CF_UNSUPPORTED_SPECIFICATION_VERSION' }),
    );
    expect(() => resolveRewardModel({ ...rewardModel, scoreBatch: undefined })).toThrow(
      expect.objectContaining({ code: 'CF_INVALID_PLUGIN' }),
    );
  });

  it('checks the plugin semver range against the SDK version', () => {
    const plugin = definePlugin({ name: 'p', version: '1.0.0', copyforge: `^${VERSION}`, rewardModels: [rewardModel] });
    expect(resolvePlugin(plugin)).toBe(plugin);
    expect(() => resolvePlugin({ ...plugin, copyforge: '>=99.0.0' })).toThrow(
      expect.objectContaining({ code: 'CF_PLUGIN_INCOMPATIBLE', message: expect.stringContaining('>=99.0.0') }),
    );
    expect(() => resolvePlugin({ ...plugin, copyforge: 'not a range' })).toThrow(
      expect.objectContaining({ code: 'CF_INVALID_PLUGIN' }),
    );
    expect(() => resolvePlugin({ ...plugin, specificationVersion: 'v9' })).toThrow(
      expect.objectContaining({ code: 'CF_UNSUPPORTED_SPECIFICATION_VERSION' }),
    );
    expect(() => resolvePlugin({ ...plugin, name: '' })).toThrow(
      expect.objectContaining({ code: 'CF_INVALID_PLUGIN' }),
    );
    for (const rewardModels of [{ a: 1 }, null, 'usability', 5]) {
      expect(() => resolvePlugin({ ...plugin, rewardModels } as never)).toThrow(
        expect.objectContaining({ code: 'CF_INVALID_PLUGIN', message: expect.stringContaining("'rewardModels'") }),
      );
    }
  });
});

describe('plugin shapes', () => {
  const base = { specificationVersion: 'v1', name: 'p', version: '1.0.0', copyforge: `^${VERSION}` };

  it('takes rewardModels as an array and backends as factories by id, naming the bad field', () => {
    const factory = () => ({ specificationVersion: 'v1' as const, id: 'b' });
    expect(resolvePlugin({ ...base, backends: { local: factory } }).backends?.local).toBe(factory);
    for (const [plugin, path] of [
      [{ ...base, rewardModels: { a: 1 } }, '/rewardModels'],
      [{ ...base, rewardModels: null }, '/rewardModels'],
      [{ ...base, backends: [factory] }, '/backends'],
      [{ ...base, backends: null }, '/backends'],
      [{ ...base, backends: { local: 5 } }, '/backends/local'],
    ] as const) {
      expect(() => resolvePlugin(plugin), JSON.stringify(plugin)).toThrow(
        expect.objectContaining({ code: 'CF_INVALID_PLUGIN', issues: [expect.objectContaining({ path })] }),
      );
    }
  });
});
