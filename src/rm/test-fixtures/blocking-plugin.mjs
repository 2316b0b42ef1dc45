// A plugin whose `block` model spins the event loop until its worker is terminated,
// and whose `length` model answers normally. Used by the worker-isolation tests.
export default {
  specificationVersion: 'v1',
  name: 'blocking-fixture',
  version: '1.0.0',
  copyforge: '*',
  rewardModels: [
    {
      specificationVersion: 'v1',
      name: 'block',
      version: '1.0.0',
      configSchema: { type: 'object' },
      async scoreBatch(candidates, context) {
        if (context.note.id === 'spin') {
          for (;;) {
            // Never yields: only terminating the worker stops this.
          }
        }
        return candidates.map(() => ({ score: 1, verdict: 'pass', reasons: [] }));
      },
    },
    {
      specificationVersion: 'v1',
      name: 'length',
      version: '1.0.0',
      configSchema: {
        type: 'object',
        properties: { maxLength: { type: 'integer', minimum: 1 } },
        additionalProperties: false,
      },
      async scoreBatch(candidates, context) {
        const maxLength = context.config.maxLength ?? 20;
        return candidates.map((candidate) => {
          const ok = candidate.title.length <= maxLength;
          return { score: ok ? 1 : 0, verdict: ok ? 'pass' : 'fail', reasons: [] };
        });
      },
    },
  ],
};
