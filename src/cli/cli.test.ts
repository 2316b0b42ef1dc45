import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './index.js';
import { createProgress } from './progress.js';

function captureConsole() {
  const out: string[] = [];
  const error: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...args) => void out.push(args.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...args) => void error.push(args.join(' ')));
  return { out, error };
}

afterEach(() => vi.restoreAllMocks());

describe('copyforge CLI', () => {
  it('lists commands in --help and prints the version', async () => {
    const { out } = captureConsole();
    expect(await main(['--help'])).toBe(0);
    expect(out.join('\n')).toMatch(/demo\s+run the whole pipeline/);
    for (const name of ['generate', 'model', 'kafka', 'clean', 'label', 'dataset', 'score', 'eval', 'rm']) {
      expect(out.join('\n')).toMatch(new RegExp(`\\n  ${name}\\s`));
    }
    expect(out.join('\n')).toMatch(/validate\s+check notes/);
    expect(await main(['--version'])).toBe(0);
    expect(out.at(-1)).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('rejects unknown commands and options with exit code 2', async () => {
    const { error } = captureConsole();
    expect(await main(['frobnicate'])).toBe(2);
    expect(error.join('\n')).toMatch(/Unknown command 'frobnicate'/);
    expect(await main(['validate', '--nope'])).toBe(2);
  });

  it('validate reports each invalid line with its path, reading gzip input', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-cli-'));
    const input = join(directory, 'notes.jsonl.gz');
    const output = join(directory, 'errors.jsonl');
    const lines = [
      JSON.stringify({ id: 'a', title: 't', body: 'fine' }),
      JSON.stringify({ id: 'b', title: 't', body: '' }),
      '{broken',
    ];
    writeFileSync(input, gzipSync(lines.join('\n')));
    captureConsole();
    expect(await main(['validate', '--in', input, '--out', output, '--quiet'])).toBe(1);
    const errors = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(errors).toHaveLength(2);
    expect(errors[0]).toMatchObject({
      line: 2,
      code: 'CF_INVALID_NOTE',
      issues: [{ path: '/body', rule: 'minLength' }],
    });
    expect(errors[1]).toMatchObject({ line: 3, code: 'CF_INVALID_JSON' });
  });

  it('fails with a coded message when the input file is missing', async () => {
    const { error } = captureConsole();
    expect(await main(['validate', '--in', '/nonexistent/notes.jsonl', '--quiet'])).toBe(1);
    expect(error.join('\n')).toMatch(/CF_INPUT_READ_FAILED/);
  });
});

describe('progress', () => {
  it('writes plain periodic lines when not a TTY and nothing when quiet', () => {
    const written: string[] = [];
    const stream = { isTTY: false, write: (text: string) => written.push(text) } as unknown as NodeJS.WriteStream;
    const progress = createProgress({ unit: 'notes', total: 4, stream, plainIntervalSeconds: 0 });
    progress.tick(2, 'kept 50%');
    progress.done();
    expect(written[0]).toMatch(/^\[#+-+\] 2\/4 notes .* kept 50%\n$/);
    expect(written.at(-1)).toMatch(/2\/4 notes/);
    const silent: string[] = [];
    const quiet = createProgress({
      unit: 'notes',
      quiet: true,
      stream: { isTTY: false, write: (text: string) => silent.push(text) } as unknown as NodeJS.WriteStream,
    });
    quiet.tick();
    quiet.done();
    expect(silent).toEqual([]);
  });
});

describe('copyforge validate --events, hostile lines', () => {
  it('reports a line nested 20,000 levels deep as an invalid event and checks the next line', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-cli-'));
    const input = join(directory, 'events.jsonl');
    const output = join(directory, 'errors.jsonl');
    const event = {
      schemaVersion: 1,
      eventId: 'e1',
      occurredAt: '2026-11-26T08:00:00Z',
      note: { id: 'n', title: 't', body: 'b' },
    };
    writeFileSync(input, `${'['.repeat(20_000)}${']'.repeat(20_000)}\n${JSON.stringify(event)}\n`);
    captureConsole();
    expect(await main(['validate', '--events', '--in', input, '--out', output, '--quiet'])).toBe(1);
    const errors = readFileSync(output, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(errors).toEqual([expect.objectContaining({ line: 1, code: 'CF_INVALID_EVENT' })]);
  });
});
