// The JSONL reader and writer behind validate/score/eval/dataset: read failures after opening
// are coded and come after the lines read so far, a BOM is not part of line 1, and an output
// path that cannot be written fails before any work, coded, never as an unhandled 'error'.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isCopyForgeError } from '../core/errors.js';
import { type JsonLine, openJsonLinesWriter, readJsonLines } from '../core/jsonl.js';
import { scoreCommand } from './commands/score.js';

const folder = mkdtempSync(join(tmpdir(), 'copyforge-jsonl-'));
afterEach(() => vi.restoreAllMocks());

async function readAll(path: string): Promise<{ lines: JsonLine[]; error?: unknown }> {
  const lines: JsonLine[] = [];
  try {
    for await (const line of readJsonLines(path)) lines.push(line);
  } catch (error) {
    return { lines, error };
  }
  return { lines };
}

describe('readJsonLines', () => {
  it('skips a UTF-8 byte-order mark on line 1', async () => {
    const path = join(folder, 'bom.jsonl');
    writeFileSync(path, '\uFEFF{"a":1}\n{"b":2}\n');
    expect((await readAll(path)).lines).toEqual([
      { line: 1, value: { a: 1 }, text: '{"a":1}' },
      { line: 2, value: { b: 2 }, text: '{"b":2}' },
    ]);
  });

  it.each([
    ['plain text named .gz', 'fake.jsonl.gz', () => Buffer.from('{"a":1}\n')],
    [
      'a truncated .gz',
      'cut.jsonl.gz',
      () => {
        const whole = gzipSync(
          Buffer.from(Array.from({ length: 2000 }, (_, index) => `{"n":${index * 7919}}`).join('\n')),
        );
        return whole.subarray(0, Math.floor(whole.length / 2));
      },
    ],
  ])('reports %s as CF_INPUT_READ_FAILED naming the file', async (_name, file, bytes) => {
    const path = join(folder, file);
    writeFileSync(path, bytes());
    const { error } = await readAll(path);
    expect(isCopyForgeError(error, 'CF_INPUT_READ_FAILED')).toBe(true);
    expect((error as Error).message).toContain(path);
  });

  it('reports a directory as CF_INPUT_READ_FAILED', async () => {
    const path = join(folder, 'a-directory');
    mkdirSync(path, { recursive: true });
    const { error } = await readAll(path);
    expect(isCopyForgeError(error, 'CF_INPUT_READ_FAILED')).toBe(true);
  });
});

describe('openJsonLinesWriter', () => {
  it('fails at once, coded, for a missing folder, a file in the way, or a folder as the path', () => {
    const file = join(folder, 'plain-file');
    writeFileSync(file, 'x');
    for (const path of [join(folder, 'missing', 'out.jsonl'), join(file, 'out.jsonl'), folder]) {
      let caught: unknown;
      try {
        openJsonLinesWriter(path);
      } catch (error) {
        caught = error;
      }
      expect(isCopyForgeError(caught, 'CF_OUTPUT_WRITE_FAILED')).toBe(true);
    }
  });
});

describe('copyforge score on a file with bad lines', () => {
  it('scores every good line around a null, a number and an unknown note, each reported as CF_INVALID_INPUT', async () => {
    const input = join(folder, 'mixed.jsonl');
    const output = join(folder, 'mixed-out.jsonl');
    const creative = (id: string, noteId: string, title: string) =>
      JSON.stringify({ id, noteId, title, style: 'plain', controls: { promotionTarget: 'p', audienceTier: 'a' } });
    writeFileSync(
      input,
      [
        creative('a', 'zh-001', '夏天通勤必备的清爽防晒霜'),
        'null',
        '42',
        creative('x', 'nope', 'A title for nobody'),
        creative('b', 'zh-001', '128元的防晒霜，学生党也能冲'),
      ].join('\n'),
    );
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')));
    expect(await scoreCommand.run({ in: input, out: output, quiet: true }, [])).toBe(1);
    const written = readFileSync(output, 'utf8').trim().split('\n');
    expect(written.map((line) => JSON.parse(line).creative.id).sort()).toEqual(['a', 'b']);
    const reported = errors.filter((line) => /^line \d+: /u.test(line));
    expect(reported).toHaveLength(3);
    for (const line of reported) expect(line).toContain('CF_INVALID_INPUT');
  });

  it('refuses an --out in a missing folder before scoring anything', async () => {
    const input = join(folder, 'one.jsonl');
    writeFileSync(input, '{}\n');
    let caught: unknown;
    try {
      await scoreCommand.run({ in: input, out: join(folder, 'no', 'such', 'dir', 'out.jsonl'), quiet: true }, []);
    } catch (error) {
      caught = error;
    }
    expect(isCopyForgeError(caught, 'CF_OUTPUT_WRITE_FAILED')).toBe(true);
  });
});
