import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createGzip } from 'node:zlib';
import { CopyForgeError } from '../core/errors.js';
import { type CleanOptions, type CleanStats, cleanCorpus, stageOptionsOf } from './clean.js';
import type { MixerState } from './mix.js';
import { type CorpusSource, readCorpusFile, sourcePaths } from './records.js';
import type { CorpusDocument } from './stage.js';
import { formatStatsMarkdown } from './stats-report.js';

/** Options of {@link writeCleanCorpus}. */
export interface WriteCleanCorpusOptions extends CleanOptions {
  /** Output directory; created when missing. */
  outDir: string;
  /**
   * Documents per shard. A shard closes at the first batch boundary at or after this many
   * documents, so shards can be up to `batchSize − 1` larger; that keeps resuming exact.
   * @default 100000
   */
  shardSize?: number;
  /** gzip the shards (`.jsonl.gz`). @default true */
  gzip?: boolean;
  /** Start over even when the directory holds a manifest from another configuration. @default false */
  force?: boolean;
  /** Names of the inputs, hashed into the manifest (paths when `source` is paths). */
  inputNames?: string[];
}

/** One finished shard in the manifest. */
export interface ShardRecord {
  /** File name inside the output directory. */
  file: string;
  /** Documents in it. */
  documents: number;
  /** Domain documents in it. */
  domainDocuments: number;
  /** Mixed-in generic documents in it. */
  genericDocuments: number;
  /** Size in bytes. */
  bytes: number;
  /** sha256 of the file. */
  sha256: string;
  /** Raw input records consumed when it closed (resume point). */
  inputConsumed: number;
  /** Mixer state when it closed. */
  mixer?: MixerState;
  /** Cumulative stats when it closed. */
  stats: CleanStats;
}

/** `manifest.json` of an output directory. */
export interface CleanManifest {
  /** Manifest format version. */
  version: 1;
  /** sha256 of the options and inputs; a rerun with other settings does not resume. */
  configHash: string;
  /** True once every input was processed. */
  complete: boolean;
  /** ISO timestamps. */
  createdAt: string;
  updatedAt: string;
  /** Finished shards, in order. */
  shards: ShardRecord[];
  /** Final stats, once complete. */
  stats?: CleanStats;
}

/** The outcome of {@link writeCleanCorpus}. */
export interface WriteCleanCorpusResult {
  /** Final stats (restored from the manifest for the skipped part). */
  stats: CleanStats;
  /** The manifest as written. */
  manifest: CleanManifest;
  /** Shards skipped because an earlier run finished them. */
  resumedShards: number;
}

function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, entry]) => entry !== undefined && typeof entry !== 'function')
      .sort(([left], [right]) => (left < right ? -1 : 1));
    return `{${entries.map(([key, entry]) => `${JSON.stringify(key)}:${stableStringify(entry)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

function configHashOf(options: WriteCleanCorpusOptions, source: CorpusSource): string {
  const inputs = options.inputNames ?? sourcePaths(source) ?? [];
  const mix = options.mix
    ? {
        ratio: options.mix.ratio,
        by: options.mix.by ?? 'documents',
        seed: options.mix.seed ?? 0,
        name: options.mix.name ?? 'generic',
        source: sourcePaths(options.mix.source) ?? null,
      }
    : null;
  const hashed = {
    stages: stageOptionsOf(options),
    custom: (options.stages ?? []).map((stage) => stage.name),
    perplexity: options.perplexity ? { ...options.perplexity, backend: options.perplexity.backend.id } : null,
    mix,
    shardSize: options.shardSize ?? 100_000,
    gzip: options.gzip ?? true,
    batchSize: options.batchSize ?? 512,
    inputs,
  };
  return createHash('sha256').update(stableStringify(hashed)).digest('hex');
}

async function readManifest(path: string): Promise<CleanManifest | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as CleanManifest;
  } catch (error) {
    throw new CopyForgeError('CF_INVALID_JSON', `The manifest '${path}' is not JSON.`, { cause: error });
  }
}

async function writeJsonAtomically(path: string, value: unknown): Promise<void> {
  await writeFile(`${path}.tmp`, `${JSON.stringify(value, null, 2)}\n`);
  await rename(`${path}.tmp`, path);
}

function serialise(document: CorpusDocument): string {
  const record: Record<string, unknown> = { id: document.id, text: document.text };
  if (document.source !== undefined) record.source = document.source;
  if (Object.keys(document.metadata).length > 0) record.metadata = document.metadata;
  return `${JSON.stringify(record)}\n`;
}

/** A shard being written: to `<file>.tmp`, renamed on close. */
class ShardFile {
  readonly file: string;
  documents = 0;
  domainDocuments = 0;
  readonly #path: string;
  readonly #stream: NodeJS.WritableStream;
  readonly #done: Promise<void>;
  readonly #hash = createHash('sha256');
  #bytes = 0;

  constructor(directory: string, file: string, gzip: boolean) {
    this.file = file;
    this.#path = join(directory, file);
    const output = createWriteStream(`${this.#path}.tmp`);
    this.#done = new Promise((resolve, reject) => {
      output.once('finish', () => resolve());
      output.once('error', reject);
    });
    const count = (chunk: Buffer) => {
      this.#hash.update(chunk);
      this.#bytes += chunk.length;
    };
    const head = gzip ? createGzip({ level: 6 }) : new PassThrough();
    head.on('data', count);
    head.pipe(output);
    this.#stream = head;
  }

  async write(document: CorpusDocument): Promise<void> {
    this.documents++;
    if (!document.source?.startsWith('generic:')) this.domainDocuments++;
    if (!this.#stream.write(serialise(document))) {
      await new Promise<void>((resolve) => this.#stream.once('drain', () => resolve()));
    }
  }

  async close(): Promise<{ bytes: number; sha256: string }> {
    this.#stream.end();
    await this.#done;
    await rename(`${this.#path}.tmp`, this.#path);
    return { bytes: this.#bytes, sha256: this.#hash.digest('hex') };
  }
}

const shardName = (index: number, gzip: boolean): string =>
  `part-${String(index).padStart(5, '0')}.jsonl${gzip ? '.gz' : ''}`;

async function* keptTextsOf(directory: string, shards: readonly ShardRecord[]): AsyncGenerator<string> {
  for (const shard of shards) {
    for await (const item of readCorpusFile(join(directory, shard.file))) {
      const record = JSON.parse(String(item.value)) as { text: string; source?: string };
      if (!record.source?.startsWith('generic:')) yield record.text;
    }
  }
}

/**
 * Cleans a corpus into `outDir`: JSONL(.gz) shards, `manifest.json` (updated after each
 * shard) and `stats.json` + `stats.md`. A rerun with the same options skips the shards the
 * manifest lists as finished and continues from there; the dedup index is rebuilt from them.
 *
 * @example
 * await writeCleanCorpus({ paths: ['notes.jsonl.gz'] }, { outDir: 'clean/', workers: 2, mix: { source: 'wiki.jsonl', ratio: 0.3 } });
 */
export async function writeCleanCorpus(
  source: CorpusSource,
  options: WriteCleanCorpusOptions,
): Promise<WriteCleanCorpusResult> {
  const directory = options.outDir;
  const gzip = options.gzip ?? true;
  const shardSize = options.shardSize ?? 100_000;
  await mkdir(directory, { recursive: true });
  const manifestPath = join(directory, 'manifest.json');
  const configHash = configHashOf(options, source);
  let manifest = await readManifest(manifestPath);
  if (manifest && manifest.configHash !== configHash) {
    if (!options.force) {
      throw new CopyForgeError(
        'CF_INVALID_CONFIG',
        `'${directory}' holds output of another configuration (manifest configHash differs); use another directory or force.`,
        {
          issues: [{ path: '/outDir', rule: 'configHash', message: "'/outDir' holds output of another configuration" }],
        },
      );
    }
    manifest = undefined;
  }
  if (manifest?.complete && manifest.stats) {
    return { stats: manifest.stats, manifest, resumedShards: manifest.shards.length };
  }
  const now = new Date().toISOString();
  manifest ??= { version: 1, configHash, complete: false, createdAt: now, updatedAt: now, shards: [] };
  const finished = new Set(manifest.shards.map((shard) => shard.file));
  for (const file of await readdir(directory)) {
    if (/^part-\d+\.jsonl(\.gz)?(\.tmp)?$/.test(file) && !finished.has(file)) await rm(join(directory, file));
  }
  const last = manifest.shards.at(-1);
  const resumedShards = manifest.shards.length;
  const run = cleanCorpus(source, options);
  const batches = run.batches(
    last
      ? {
          inputConsumed: last.inputConsumed,
          stats: last.stats,
          ...(last.mixer ? { mixer: last.mixer } : {}),
          keptTexts: keptTextsOf(directory, manifest.shards),
        }
      : undefined,
  );
  let shard: ShardFile | undefined;
  const closeShard = async (inputConsumed: number, mixer: MixerState | undefined): Promise<void> => {
    if (!shard) return;
    const { bytes, sha256 } = await shard.close();
    const record: ShardRecord = {
      file: shard.file,
      documents: shard.documents,
      domainDocuments: shard.domainDocuments,
      genericDocuments: shard.documents - shard.domainDocuments,
      bytes,
      sha256,
      inputConsumed,
      stats: structuredClone(run.stats),
    };
    if (mixer) record.mixer = mixer;
    manifest.shards.push(record);
    manifest.updatedAt = new Date().toISOString();
    await writeJsonAtomically(manifestPath, manifest);
    shard = undefined;
  };
  let lastConsumed = last?.inputConsumed ?? 0;
  let lastMixer = last?.mixer;
  for await (const batch of batches) {
    for (const document of batch.documents) {
      shard ??= new ShardFile(directory, shardName(manifest.shards.length, gzip), gzip);
      await shard.write(document);
    }
    lastConsumed = batch.inputConsumed;
    lastMixer = batch.mixer;
    if (shard && shard.documents >= shardSize) await closeShard(lastConsumed, lastMixer);
  }
  await closeShard(lastConsumed, lastMixer);
  manifest.complete = true;
  manifest.stats = run.stats;
  manifest.updatedAt = new Date().toISOString();
  await writeJsonAtomically(join(directory, 'stats.json'), run.stats);
  await writeFile(join(directory, 'stats.md'), formatStatsMarkdown(run.stats));
  await writeJsonAtomically(manifestPath, manifest);
  return { stats: run.stats, manifest, resumedShards };
}
