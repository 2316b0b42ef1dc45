import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { isCopyForgeError } from '../core/errors.js';
import { createRandom } from './hash.js';
import { type WriteCleanCorpusOptions, writeCleanCorpus } from './shards.js';

const characters =
  '的一是了我不人在他有这个上们来到时大地为子中你说生国年着就那和要她出也得里后自以会家可下而过天去能对小多然于心学么之都好看起发当没成只如事把还用第样道想作种开美总从无情己面最女但现前些所同日手又行意动方期它头经长儿回位分爱老因很给名法间斯知世什两次使身者被高已亲其进此话常与活正感';

/** Notes of random common characters (dissimilar to each other); every 10th repeats an earlier one exactly. */
function noteLines(count: number): string[] {
  const random = createRandom(99);
  const bodies: string[] = [];
  const lines: string[] = [];
  for (let index = 0; index < count; index++) {
    let body = '';
    for (let position = 0; position < 36; position++) body += characters[Math.floor(random() * characters.length)];
    bodies.push(index % 10 === 9 ? bodies[index - 9]! : body);
    lines.push(JSON.stringify({ id: `note-${index}`, title: '', body: bodies[index] }));
  }
  return lines;
}

function readShard(path: string): { id: string; text: string }[] {
  const raw = path.endsWith('.gz') ? gunzipSync(readFileSync(path)).toString('utf8') : readFileSync(path, 'utf8');
  return raw
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line));
}

function readAll(directory: string): { id: string; text: string }[] {
  const manifest = JSON.parse(readFileSync(join(directory, 'manifest.json'), 'utf8')) as { shards: { file: string }[] };
  return manifest.shards.flatMap((shard) => readShard(join(directory, shard.file)));
}

function setUp(count: number): { input: string; directory: string } {
  const directory = mkdtempSync(join(tmpdir(), 'copyforge-shards-'));
  const input = join(directory, 'notes.jsonl.gz');
  writeFileSync(input, gzipSync(`${noteLines(count).join('\n')}\n`));
  return { input, directory };
}

describe('writeCleanCorpus', () => {
  it('reads gzip input, writes gzip shards of the set size, a manifest and a stats report', async () => {
    const { input, directory } = setUp(200);
    const outDir = join(directory, 'out');
    const result = await writeCleanCorpus(input, { outDir, shardSize: 50, batchSize: 25 });
    expect(result.stats).toMatchObject({ input: 200, kept: 180, dropped: 20 });
    expect(result.stats.stages['dedup:exact']!.dropped).toBe(20);
    const sizes = result.manifest.shards.map((shard) => shard.documents);
    const files = readdirSync(outDir).sort();
    expect(files).toEqual([
      'manifest.json',
      ...sizes.map((_, index) => `part-0000${index}.jsonl.gz`),
      'stats.json',
      'stats.md',
    ]);
    // Shards close at the first batch boundary at or after 50 documents (batches of 25 records).
    for (const size of sizes.slice(0, -1)) expect(size >= 50 && size < 75).toBe(true);
    expect(sizes.reduce((sum, size) => sum + size, 0)).toBe(180);
    expect(sizes.length).toBeGreaterThan(2);
    expect(result.manifest.complete).toBe(true);
    expect(readAll(outDir)).toHaveLength(180);
    expect(readFileSync(join(outDir, 'stats.md'), 'utf8')).toMatch(/dedup:exact \| 200 \| 20 \| exact-duplicate \| 20/);
  });

  it('writes plain JSONL when gzip is off and reads plain-text input', async () => {
    const { directory } = setUp(0);
    const input = join(directory, 'notes.txt');
    writeFileSync(input, '第一条笔记的内容足够长，可以通过过滤。\n\n第二条笔记也写得足够长，一样能通过。\n');
    const outDir = join(directory, 'plain');
    const result = await writeCleanCorpus(input, { outDir, gzip: false });
    expect(result.manifest.shards[0]!.file).toBe('part-00000.jsonl');
    expect(readShard(join(outDir, 'part-00000.jsonl')).map((record) => record.id)).toEqual([
      'notes.txt:1',
      'notes.txt:3',
    ]);
  });

  it('resumes after an interruption, skipping finished shards, with the same output as one run', async () => {
    const { input, directory } = setUp(300);
    const options = (outDir: string): WriteCleanCorpusOptions => ({ outDir, shardSize: 40, batchSize: 20 });
    const reference = await writeCleanCorpus(input, options(join(directory, 'reference')));

    const outDir = join(directory, 'resumed');
    const controller = new AbortController();
    let batches = 0;
    const interrupted = writeCleanCorpus(input, {
      ...options(outDir),
      signal: controller.signal,
      onBatch: () => {
        if (++batches === 7) controller.abort();
      },
    });
    await expect(interrupted).rejects.toSatisfy((error: unknown) => isCopyForgeError(error, 'CF_ABORTED'));
    const partial = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as {
      shards: unknown[];
      complete: boolean;
    };
    expect(partial.complete).toBe(false);
    expect(partial.shards.length).toBeGreaterThanOrEqual(2);
    expect(partial.shards.length).toBeLessThan(reference.manifest.shards.length);

    const resumed = await writeCleanCorpus(input, options(outDir));
    expect(resumed.resumedShards).toBe(partial.shards.length);
    expect(readAll(outDir)).toEqual(readAll(join(directory, 'reference')));
    expect(resumed.stats).toEqual(reference.stats);
    expect(resumed.manifest.shards.map((shard) => shard.sha256)).toEqual(
      reference.manifest.shards.map((shard) => shard.sha256),
    );

    const again = await writeCleanCorpus(input, options(outDir));
    expect(again.resumedShards).toBe(again.manifest.shards.length);
  });

  it('refuses to resume with another configuration unless forced', async () => {
    const { input, directory } = setUp(30);
    const outDir = join(directory, 'out');
    await writeCleanCorpus(input, { outDir });
    await expect(writeCleanCorpus(input, { outDir, shardSize: 7 })).rejects.toSatisfy((error: unknown) =>
      isCopyForgeError(error, 'CF_INVALID_CONFIG'),
    );
    const forced = await writeCleanCorpus(input, { outDir, shardSize: 7, force: true });
    expect(forced.manifest.shards[0]!.documents).toBe(27);
  });
});
