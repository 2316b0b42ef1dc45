// The llama.cpp backend on the real default model (pulled into the cache by the global
// setup): the backend contract, plus the forge end to end on the sample notes.
import { afterAll, beforeAll, describe } from 'vitest';
import { type LlamaCppBackend, llamaCppBackend } from '../../src/backends/llama-cpp/llama-cpp-backend.js';
import { backendContract } from './backend-contract.js';

let backend: LlamaCppBackend;

beforeAll(async () => {
  backend = await llamaCppBackend({ model: 'default', threads: 2, sequences: 2, contextSize: 1024, gpu: false });
});

afterAll(async () => {
  await backend?.dispose();
});

describe('llamaCppBackend on the default model', () => {
  backendContract(() => backend);
});
