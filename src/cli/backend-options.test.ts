// The CLI's backend flags: which backend they build, and the flags each backend refuses. The
// openai-compatible backend is checked against a real llama-server in
// test/integration/cli-backends.test.ts; here a plugin's backend runs `generate` end to end.
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './index.js';
import { createBackendFromOptions } from './options.js';

afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

// A plugin module with two backend factories, `echo` and `other` (test/fixtures/backend-plugin.mjs),
// copied to a fresh folder per test so its dispose counter starts at 0.
function pluginFile(): string {
  const directory = mkdtempSync(join(tmpdir(), 'copyforge-backend-plugin-'));
  const path = join(directory, 'plugin.mjs');
  copyFileSync(join(import.meta.dirname, '../../test/fixtures/backend-plugin.mjs'), path);
  return path;
}

async function codeOf(promise: Promise<unknown>): Promise<{ code?: string; path?: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    const coded = error as { code?: string; issues?: { path: string }[]; message: string };
    return { code: coded.code, path: coded.issues?.[0]?.path, message: coded.message };
  }
  throw new Error('expected a rejection');
}

describe('createBackendFromOptions', () => {
  it('refuses local-model flags with a remote backend and remote flags with llama-cpp, naming the flag', async () => {
    for (const [values, flag] of [
      [{ backend: 'openai-compatible', 'base-url': 'http://127.0.0.1:9/v1', lora: ['a.gguf'] }, '/lora'],
      [{ backend: 'openai-compatible', 'base-url': 'http://127.0.0.1:9/v1', threads: '2' }, '/threads'],
      [
        { backend: 'openai-compatible', 'base-url': 'http://127.0.0.1:9/v1', 'no-default-adapter': true },
        '/no-default-adapter',
      ],
      [{ 'base-url': 'http://127.0.0.1:9/v1' }, '/base-url'],
      [{ 'api-key-env': 'X' }, '/api-key-env'],
      [{ backend: 'openai-compatible' }, '/base-url'],
      [
        { backend: 'openai-compatible', 'base-url': 'http://127.0.0.1:9/v1', 'backend-options': '{}' },
        '/backend-options',
      ],
    ] as const) {
      const error = await codeOf(createBackendFromOptions(values as never));
      expect(error, JSON.stringify(values)).toMatchObject({ code: 'CF_INVALID_CONFIG', path: flag });
    }
  });

  it('reads the API key from the variable --api-key-env names, and says when it is not set', async () => {
    vi.stubEnv('CF_TEST_UNSET_KEY', '');
    const error = await codeOf(
      createBackendFromOptions({
        backend: 'openai-compatible',
        'base-url': 'http://127.0.0.1:9/v1',
        'api-key-env': 'CF_TEST_UNSET_KEY',
      }),
    );
    expect(error).toMatchObject({ code: 'CF_INVALID_CONFIG', path: '/api-key-env' });
    expect(error.message).toContain('CF_TEST_UNSET_KEY');
  });

  it('takes the backend from COPYFORGE_BACKEND when --backend is not given', async () => {
    vi.stubEnv('COPYFORGE_BACKEND', 'openai-compatible');
    vi.stubEnv('COPYFORGE_BASE_URL', '');
    const error = await codeOf(createBackendFromOptions({}));
    expect(error).toMatchObject({ code: 'CF_INVALID_CONFIG', path: '/base-url' });
  });

  it("builds a plugin's backend by id, and asks for the id when the plugin has several", async () => {
    const path = pluginFile();
    const ambiguous = await codeOf(createBackendFromOptions({ backend: path }));
    expect(ambiguous).toMatchObject({ code: 'CF_INVALID_CONFIG', path: '/backend' });
    expect(ambiguous.message).toMatch(/'echo', 'other'/);
    const missing = await codeOf(createBackendFromOptions({ backend: `${path}#nope` }));
    expect(missing).toMatchObject({ code: 'CF_INVALID_CONFIG', path: '/backend' });
    const badJson = await codeOf(createBackendFromOptions({ backend: `${path}#echo`, 'backend-options': '{' }));
    expect(badJson).toMatchObject({ code: 'CF_INVALID_CONFIG', path: '/backend-options' });

    const backend = await createBackendFromOptions({
      backend: `${path}#other`,
      model: 'm1',
      'backend-options': '{"extra": true}',
    });
    expect(backend.id).toBe('other');
    expect(backend.model?.name).toBe('m1');
  });

  it('runs `generate` on a plugin backend end to end and disposes it', async () => {
    const path = pluginFile();
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-backend-cli-'));
    const notes = join(directory, 'notes.jsonl');
    const out = join(directory, 'creatives.jsonl');
    writeFileSync(
      notes,
      `${JSON.stringify({ id: 'n1', title: 'Sunscreen for runners', body: 'A light sunscreen that stays on.', tags: ['sunscreen'] })}\n`,
    );
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')));
    const code = await main([
      'generate',
      ...['--backend', `${path}#echo`, '--model', 'served-model', '--in', notes, '--out', out],
      ...['--titles', '3', '--rm', 'none', '--quiet'],
    ]);
    expect(code, errors.join('\n')).toBe(0);
    const [line] = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text));
    expect(line.noteId).toBe('n1');
    expect(line.creatives).toHaveLength(3);
    expect(line.creatives[0].creative.title).toMatch(/from served-model \d$/);
    expect(line.provenance.backendId).toBe('echo');
    expect(line.provenance.modelName).toBe('served-model');
    const plugin = await import(path);
    expect(plugin.disposed).toBe(1);
  });
});
