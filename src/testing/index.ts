// `copyforge/test`: test doubles for embedders and plugin authors.

export { createSyntheticRankedLists, type SyntheticListsOptions } from '../rm/attractiveness/synthetic.js';
export { createMockBackend, type MockBackend, type MockBackendOptions } from './mock-backend.js';
export { buildTinyGguf, type TinyGgufOptions, writeTinyGguf } from './tiny-gguf.js';
export { buildTinyLoraGguf, type TinyLoraOptions, type TinyLoraTarget, writeTinyLoraGguf } from './tiny-lora.js';
