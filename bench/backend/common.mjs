// Helpers shared by the backend, generation and Kafka benchmarks: machine info, medians,
// the model path and writing results. Plain Node ESM, no dependencies.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repositoryRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const resultsDirectory = path.join(repositoryRoot, 'bench/results');

/** Where the built SDK lives; COPYFORGE_DIST points the benchmarks at another build. */
export const distDirectory = path.resolve(process.env.COPYFORGE_DIST ?? path.join(repositoryRoot, 'dist'));

/** Imports one entry of the built SDK (dist/index.js, dist/kafka.js, dist/test.js). */
export async function importDist(entry) {
  const file = path.join(distDirectory, entry);
  if (!existsSync(file)) throw new Error(`${file} is missing: run \`npm run build\` first.`);
  return import(file);
}

/** The default model, or COPYFORGE_MODEL when set. */
export function modelPath() {
  return process.env.COPYFORGE_MODEL ?? path.join(os.homedir(), '.cache/copyforge/models/gemma-3-270m-q4_k_m.gguf');
}

export function sha256OfFile(file) {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(file)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Machine facts recorded with every result. */
export function machineInfo() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    totalMemoryBytes: os.totalmem(),
    node: process.version,
    platform: `${os.platform()} ${os.release()} ${os.arch()}`,
    date: new Date().toISOString(),
  };
}

export function loadAverage() {
  return os.loadavg().map((value) => Number(value.toFixed(2)));
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

export function percentile(values, fraction) {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)];
}

export function round(value, digits = 2) {
  return Number.isFinite(value) ? Number(value.toFixed(digits)) : value;
}

/** Integer from an environment variable, or the default. */
export function integerFromEnvironment(name, fallback) {
  const value = process.env[name];
  if (value === undefined || value === '') return fallback;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`${name} must be a positive integer, got ${value}`);
  return parsed;
}

/** A markdown table from a header row and data rows. */
export function markdownTable(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** Writes bench/results/<name>.json and <name>.md. */
export function writeResults(name, json, markdown) {
  mkdirSync(resultsDirectory, { recursive: true });
  writeFileSync(path.join(resultsDirectory, `${name}.json`), `${JSON.stringify(json, null, 2)}\n`);
  writeFileSync(path.join(resultsDirectory, `${name}.md`), `${markdown.trim()}\n`);
  console.log(`\nWrote bench/results/${name}.json and bench/results/${name}.md`);
}

/**
 * Collects garbage (under --expose-gc), then samples RSS and heap every `intervalMs` until
 * `stop()`, which returns the usage before and the peaks. Call `sample()` for extra points.
 */
export function startMemorySampler(intervalMs) {
  globalThis.gc?.();
  const before = process.memoryUsage();
  let peakRss = before.rss;
  let peakHeap = before.heapUsed;
  const sample = () => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  };
  const timer = setInterval(sample, intervalMs);
  return {
    sample,
    stop() {
      clearInterval(timer);
      sample();
      return { before, peakRss, peakHeap };
    },
  };
}
