// trainSft's checks before any Python runs: bad data lines are named, bad hyper-parameters
// are CF_INVALID_CONFIG, a missing Python is CF_TRAINING_ENVIRONMENT with what to do.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { isCopyForgeError } from '../core/errors.js';
import { ensurePythonEnvironment } from './python-env.js';
import { readSftRecords, trainSft } from './train-sft.js';

const folder = mkdtempSync(join(tmpdir(), 'copyforge-train-sft-'));
const write = (name: string, text: string) => {
  const path = join(folder, name);
  writeFileSync(path, text);
  return path;
};
async function rejection(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isCopyForgeError(error)) throw new Error(`expected a CopyForgeError, got ${String(error)}`);
  return error;
}

describe('readSftRecords', () => {
  it('reads prompt-completion and chat lines (chat rendered as the backend renders it)', async () => {
    const path = write(
      'mixed.jsonl',
      `${JSON.stringify({ prompt: 'P\n\nAnswer:\n', completion: '{"a":1}' })}\n\n${JSON.stringify({
        messages: [
          { role: 'system', content: 'S' },
          { role: 'user', content: 'U' },
          { role: 'assistant', content: '{"b":2}' },
        ],
      })}\n`,
    );
    expect(await readSftRecords(path)).toEqual([
      { prompt: 'P\n\nAnswer:\n', completion: '{"a":1}' },
      { prompt: 'S\n\nU\n\nAnswer:\n', completion: '{"b":2}' },
    ]);
  });

  it.each([
    ['not JSON', '{"prompt": "x",', ':1'],
    ['a line without prompt or messages', '{"text": "x"}', ':1'],
    ['a chat line not ending with the answer', JSON.stringify({ messages: [{ role: 'user', content: 'U' }] }), ':1'],
  ])('names the line of %s', async (_name, line, where) => {
    const path = write(`bad-${where}-${line.length}.jsonl`, `${line}\n`);
    const error = await rejection(readSftRecords(path));
    expect(error.code).toBe('CF_INVALID_INPUT');
    expect(error.message).toContain(`${path}${where}`);
  });

  it('rejects an empty file and a missing one with their codes', async () => {
    expect((await rejection(readSftRecords(write('empty.jsonl', '\n')))).code).toBe('CF_INVALID_INPUT');
    expect((await rejection(readSftRecords(join(folder, 'missing.jsonl')))).code).toBe('CF_INPUT_READ_FAILED');
  });
});

describe('trainSft', () => {
  const data = write('data.jsonl', `${JSON.stringify({ prompt: 'P', completion: 'C' })}\n`);
  it.each([
    ['epochs', { epochs: 0 }],
    ['learningRate', { learningRate: -1 }],
    ['rank', { rank: Number.NaN }],
    ['maxSteps', { maxSteps: 1.5 }],
    ['dropout', { dropout: 1 }],
  ])('rejects a bad %s before starting Python', async (field, options) => {
    const error = await rejection(trainSft({ data, out: join(folder, 'out'), ...options }));
    expect(error.code).toBe('CF_INVALID_CONFIG');
    expect(error.message).toContain(field);
  });
});

describe('ensurePythonEnvironment', () => {
  const saved = process.env.COPYFORGE_CACHE;
  afterEach(() => {
    if (saved === undefined) delete process.env.COPYFORGE_CACHE;
    else process.env.COPYFORGE_CACHE = saved;
  });

  it('explains what is missing when the interpreter cannot run', async () => {
    process.env.COPYFORGE_CACHE = mkdtempSync(join(tmpdir(), 'copyforge-empty-cache-'));
    const error = await rejection(ensurePythonEnvironment({ python: join(folder, 'no-such-python') }));
    expect(error.code).toBe('CF_TRAINING_ENVIRONMENT');
    expect(error.message).toMatch(/Python 3\.10 or newer/u);
    expect(error.message).toContain('COPYFORGE_PYTHON');
  });

  it('refuses a Python older than 3.10', async () => {
    process.env.COPYFORGE_CACHE = mkdtempSync(join(tmpdir(), 'copyforge-empty-cache-'));
    const fake = write('python-3.8', '#!/bin/sh\necho 3.8\n');
    const { chmodSync } = await import('node:fs');
    chmodSync(fake, 0o755);
    const error = await rejection(ensurePythonEnvironment({ python: fake }));
    expect(error.code).toBe('CF_TRAINING_ENVIRONMENT');
    expect(error.message).toContain('is 3.8');
  });
});
