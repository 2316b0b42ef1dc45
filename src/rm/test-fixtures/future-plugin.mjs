// A plugin that only supports a future CopyForge: registration must refuse it.
export default {
  specificationVersion: 'v1',
  name: 'future-fixture',
  version: '1.0.0',
  copyforge: '>=99.0.0',
  rewardModels: [],
};
