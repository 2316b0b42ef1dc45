import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { cleanCommand, parseMixOption } from '../../src/cli/commands/clean.js';
import { isCopyForgeError } from '../../src/core/errors.js';
import type { CleanManifest } from '../../src/corpus/shards.js';

const openings = ['今天', '周末', '最近', '终于', '昨天'];
const subjects = ['买了一支口红', '去了一家咖啡店', '试了新的跑鞋', '读完一本小说', '做了一道红烧肉'];
const verdicts = ['颜色很显白', '环境安静适合办公', '缓震效果不错', '结局让人意外', '味道比饭店还好'];

function corpus(count: number): string[] {
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    const text = `${openings[index % 5]}${subjects[Math.floor(index / 5) % 5]}，${verdicts[Math.floor(index / 25) % 5]}，第${index}次分享，编号${(index * 7919) % 100_003}。`;
    lines.push(
      JSON.stringify({ id: `n${index}`, title: '', body: index % 20 === 19 ? lines.length.toString() : text }),
    );
  }
  return lines;
}

afterEach(() => vi.restoreAllMocks());

describe('copyforge clean', () => {
  it('cleans gzip input with workers into shards, mixes a generic corpus, and resumes as a no-op', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-clean-cli-'));
    writeFileSync(join(directory, 'a.jsonl.gz'), gzipSync(corpus(400).slice(0, 200).join('\n')));
    writeFileSync(join(directory, 'b.jsonl.gz'), gzipSync(corpus(400).slice(200).join('\n')));
    writeFileSync(
      join(directory, 'generic.txt'),
      Array.from({ length: 500 }, (_, index) => `General text line number ${index} about many things.`).join('\n'),
    );
    const outDir = join(directory, 'out');
    const values = {
      in: [join(directory, '*.jsonl.gz')],
      out: outDir,
      mix: `${join(directory, 'generic.txt')}:0.3`,
      workers: '2',
      'shard-size': '100',
      quiet: true,
    };
    expect(await cleanCommand.run(values, [])).toBe(0);
    const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as CleanManifest;
    expect(manifest.complete).toBe(true);
    expect(manifest.stats).toMatchObject({ input: 400, workers: 2 });
    expect(manifest.stats!.stages['filter:length']!.dropped).toBe(20);
    const documents = manifest.shards.flatMap((shard) =>
      gunzipSync(readFileSync(join(outDir, shard.file)))
        .toString('utf8')
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line) as { source: string }),
    );
    const generic = documents.filter((document) => document.source === 'generic:generic').length;
    expect(documents.length).toBe(manifest.stats!.output);
    expect(Math.abs(generic / documents.length - 0.3)).toBeLessThan(0.01);
    expect(readFileSync(join(outDir, 'stats.md'), 'utf8')).toMatch(/# Cleaning report/);

    const before = readFileSync(join(outDir, 'manifest.json'), 'utf8');
    expect(await cleanCommand.run(values, [])).toBe(0);
    expect(readFileSync(join(outDir, 'manifest.json'), 'utf8')).toBe(before);
  });

  it('rejects a config file with a coded error naming the field', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-clean-config-'));
    writeFileSync(join(directory, 'in.jsonl'), `${corpus(3).join('\n')}\n`);
    writeFileSync(join(directory, 'clean.json'), JSON.stringify({ filters: { length: { minCharacters: 'ten' } } }));
    const run = cleanCommand.run(
      { in: [join(directory, 'in.jsonl')], out: join(directory, 'out'), config: join(directory, 'clean.json') },
      [],
    );
    await expect(run).rejects.toSatisfy(
      (error: unknown) =>
        isCopyForgeError(error, 'CF_INVALID_CONFIG') && /\/filters\/length\/minCharacters/.test(error.message),
    );
  });

  it('requires --in and --out, and parses --mix', async () => {
    vi.spyOn(console, 'error').mockImplementation(() => {});
    expect(await cleanCommand.run({ out: 'x' }, [])).toBe(2);
    expect(parseMixOption('data/generic.jsonl:0.25:tokens')).toEqual({
      path: 'data/generic.jsonl',
      ratio: 0.25,
      by: 'tokens',
    });
    expect(() => parseMixOption('generic.jsonl')).toThrow(/--mix/);
  });
});
