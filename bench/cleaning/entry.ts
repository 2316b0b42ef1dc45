// What the cleaning bench bundles: the library entry points it measures.

export { cleanCommand } from '../../src/cli/commands/clean.js';
export { cleanCorpus } from '../../src/corpus/clean.js';
export { writeCleanCorpus } from '../../src/corpus/shards.js';
