import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanCommand } from './commands/clean.js';

const original = Object.getOwnPropertyDescriptor(process, 'stdin');

afterEach(() => {
  if (original) Object.defineProperty(process, 'stdin', original);
  vi.restoreAllMocks();
});

const line = (id: number) =>
  JSON.stringify({
    id: `d${id}`,
    text: `Document number ${id} talks about a cast iron pan that lasts for years and years.`,
  });

describe('copyforge clean', () => {
  it('copyforge clean reads stdin, and exits 1 naming the lines that are not JSON', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...args) => void errors.push(args.join(' ')));
    const lines = Array.from({ length: 30 }, (_, index) => line(index));
    Object.defineProperty(process, 'stdin', {
      value: Readable.from([
        Buffer.from(`${[...lines.slice(0, 10), '{not json', ...lines.slice(10), 'plain words'].join('\n')}\n`),
      ]),
      configurable: true,
    });
    const outDir = join(mkdtempSync(join(tmpdir(), 'copyforge-clean-stdin-')), 'out');
    const code = await cleanCommand.run({ in: ['-'], out: outDir, workers: '0', quiet: true, plain: true }, []);
    expect(code).toBe(1);
    expect(errors.join('\n')).toMatch(/CF_INVALID_JSON: 2 of 32 input lines are not JSON \(first: stdin:11/);
    const stats = JSON.parse(readFileSync(join(outDir, 'stats.json'), 'utf8'));
    expect(stats.input).toBe(32);
    expect(stats.stages.read.drops['invalid-json'].count).toBe(2);
  });
});
