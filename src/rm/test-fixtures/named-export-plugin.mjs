// A plugin exported under the name `plugin`, for module-loading tests.
export const plugin = {
  specificationVersion: 'v1',
  name: 'named-fixture',
  version: '2.0.0',
  copyforge: '>=0.0.1',
  rewardModels: [
    {
      specificationVersion: 'v1',
      name: 'named',
      version: '2.0.0',
      configSchema: { type: 'object' },
      async scoreBatch(candidates) {
        return candidates.map(() => ({ score: 0.5, verdict: 'pass', reasons: [] }));
      },
    },
  ],
};
