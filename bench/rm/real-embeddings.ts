// Real embeddings for the attractiveness benchmark: the repository's real titles embedded
// by the default model (cached under ~/.cache/copyforge/bench-work/), and ranked lists over
// them whose order follows a hidden linear preference.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { resolveModelPath } from '../../src/backends/llama-cpp/default-model.js';
import { llamaCppBackend } from '../../src/backends/llama-cpp/llama-cpp-backend.js';
import { loadNodeLlamaCpp } from '../../src/backends/llama-cpp/load-node-llama-cpp.js';
import { sha256OfFile } from '../../src/backends/llama-cpp/verify.js';
import { cacheDirectory } from '../../src/core/cache.js';
import { lexicalFeatures } from '../../src/rm/attractiveness/model.js';
import type { RankedList } from '../../src/rm/attractiveness/train.js';
import { createRandom, shuffled } from '../../src/rm/text.js';

/** Files under data/ that hold real titles, and the field holding them. */
export const titleSources = [
  'data/sample-notes.jsonl',
  'data/rm/usability-labelled.jsonl',
  'data/rm/usability-heldout-planted.jsonl',
] as const;

/** Every distinct title in {@link titleSources}, in first-seen order. */
export function collectRealTitles(): string[] {
  const titles = new Set<string>();
  for (const path of titleSources) {
    for (const line of readFileSync(path, 'utf8').trim().split('\n')) {
      const title = (JSON.parse(line) as { title?: unknown }).title;
      if (typeof title === 'string' && title.trim() !== '') titles.add(title);
    }
  }
  return [...titles];
}

/** Embeddings of the real titles and how long making them took. */
export interface RealEmbeddings {
  embeddings: number[][];
  space: string;
  modelPath: string;
  modelSha256: string;
  /** Wall time of the timed `embed` calls (one warm-up text excluded). */
  embedSeconds: number;
  textsPerSecond: number;
  /** The same texts through bare node-llama-cpp, interleaved with ours chunk by chunk. */
  peer: { name: string; seconds: number; textsPerSecond: number; largestDifferenceFromOurs: number };
  /** Model load plus embedding-context creation and the warm-up text. */
  loadSeconds: number;
  threads: number;
  /** When the embeddings were made; older than this run when `fromCache`. */
  measuredAt: string;
  /** `os.loadavg()` before and after the timed embedding (1, 5, 15 min; then again). */
  loadAverageAtEmbedding: number[];
  fromCache: boolean;
  cachePath: string;
}

/**
 * Embeds `texts` with `llamaCppBackend({ model: 'default', threads })`, or reads them from
 * the cache keyed by the model's sha256 and a hash of the texts. `BENCH_REEMBED=1` re-embeds.
 */
export async function embedRealTitles(texts: readonly string[], threads = 2): Promise<RealEmbeddings> {
  const modelPath = await resolveModelPath();
  const modelSha256 = await sha256OfFile(modelPath);
  const textsHash = createHash('sha256').update(JSON.stringify(texts)).digest('hex');
  const folder = join(cacheDirectory(), 'bench-work');
  const cachePath = join(folder, `rm-embeddings-${modelSha256.slice(0, 16)}-${textsHash.slice(0, 16)}.json`);
  if (existsSync(cachePath) && process.env.BENCH_REEMBED !== '1') {
    const cached = JSON.parse(readFileSync(cachePath, 'utf8')) as Omit<RealEmbeddings, 'fromCache' | 'cachePath'>;
    if (cached.embeddings.length === texts.length && cached.peer) return { ...cached, fromCache: true, cachePath };
  }
  const loadStarted = performance.now();
  const backend = await llamaCppBackend({ model: 'default', threads, gpu: false, build: 'never', modelSha256 });
  // The peer: bare node-llama-cpp, same model file, threads and embedding context size.
  const nodeLlamaCpp = await loadNodeLlamaCpp();
  const llama = await nodeLlamaCpp.getLlama({
    gpu: false,
    build: 'never',
    maxThreads: threads,
    logLevel: nodeLlamaCpp.LlamaLogLevel.error,
    progressLogs: false,
  });
  const bareModel = await llama.loadModel({ modelPath });
  const bareContext = await bareModel.createEmbeddingContext({ threads, contextSize: 512 });
  try {
    // Creates the embedding contexts; not counted in the rates.
    await backend.embed({ texts: [texts[0] ?? 'warm-up'] });
    await bareContext.getEmbeddingFor(texts[0] ?? 'warm-up');
    const loadSeconds = (performance.now() - loadStarted) / 1000;
    const loadAverageAtEmbedding = loadavg();
    // Chunks in ABBA order so load from other jobs hits both sides alike.
    const embeddings: number[][] = [];
    let space = '';
    let embedSeconds = 0;
    let bareSeconds = 0;
    let largestDifference = 0;
    const chunkSize = 42;
    for (let start = 0, chunk = 0; start < texts.length; start += chunkSize, chunk++) {
      const slice = texts.slice(start, start + chunkSize);
      const runOurs = async () => {
        const started = performance.now();
        const result = await backend.embed({ texts: slice });
        embedSeconds += (performance.now() - started) / 1000;
        embeddings.push(...result.embeddings);
        space = result.space;
      };
      const bareVectors: number[][] = [];
      const runBare = async () => {
        const started = performance.now();
        for (const text of slice) bareVectors.push([...(await bareContext.getEmbeddingFor(text)).vector]);
        bareSeconds += (performance.now() - started) / 1000;
      };
      if (chunk % 2 === 0) {
        await runOurs();
        await runBare();
      } else {
        await runBare();
        await runOurs();
      }
      bareVectors.forEach((vector, index) => {
        const ours = embeddings[start + index] as number[];
        for (let column = 0; column < vector.length; column++) {
          largestDifference = Math.max(
            largestDifference,
            Math.abs((vector[column] as number) - (ours[column] as number)),
          );
        }
      });
    }
    const result = {
      embeddings,
      space,
      modelPath,
      modelSha256,
      embedSeconds,
      textsPerSecond: texts.length / embedSeconds,
      peer: {
        name: 'bare node-llama-cpp LlamaEmbeddingContext.getEmbeddingFor (same model, threads, context size 512)',
        seconds: bareSeconds,
        textsPerSecond: texts.length / bareSeconds,
        largestDifferenceFromOurs: largestDifference,
      },
      loadSeconds,
      threads,
      measuredAt: new Date().toISOString(),
      loadAverageAtEmbedding: [...loadAverageAtEmbedding, ...loadavg()],
    };
    mkdirSync(folder, { recursive: true });
    writeFileSync(cachePath, JSON.stringify(result));
    return { ...result, fromCache: false, cachePath };
  } finally {
    await bareContext.dispose();
    await bareModel.dispose();
    await backend.dispose();
  }
}

/** Options for {@link createPreferenceLists}. */
export interface PreferenceListsOptions {
  /** Lists built from the training titles (the trainer holds out its own share of them). */
  trainLists: number;
  /** Lists built only from titles no training list contains. */
  unseenLists: number;
  /** Share of titles kept out of every training list. @default 0.2 */
  unseenTitleFraction?: number;
  /** @default 5 */
  listSize?: number;
  /** Weight of the lexical part of the hidden utility, relative to the embedding part. @default 0.5 */
  lexicalWeight?: number;
  /** @default 17 */
  seed?: number;
}

/**
 * Ranked lists over real embeddings ordered by a hidden utility: a random Gaussian direction
 * over the centred embeddings plus a random direction over the lexical features, each part
 * standardised over all titles. Titles are split first, so `unseen` lists hold only titles
 * that no training list has.
 */
export function createPreferenceLists(
  titles: readonly string[],
  embeddings: readonly (readonly number[])[],
  options: PreferenceListsOptions,
): { train: RankedList[]; unseen: RankedList[]; trainTitles: number; unseenTitles: number } {
  const random = createRandom(options.seed ?? 17);
  const gaussian = () => Math.sqrt(-2 * Math.log(Math.max(random(), 1e-12))) * Math.cos(2 * Math.PI * random());
  const dimension = embeddings[0]?.length ?? 0;
  const mean = new Array<number>(dimension).fill(0);
  for (const vector of embeddings) {
    vector.forEach((value, index) => {
      mean[index] = (mean[index] as number) + value;
    });
  }
  for (let index = 0; index < dimension; index++) mean[index] = (mean[index] as number) / embeddings.length;
  const embeddingDirection = Array.from({ length: dimension }, gaussian);
  const lexical = titles.map((title) => lexicalFeatures(title));
  const lexicalDirection = Array.from({ length: lexical[0]?.length ?? 0 }, gaussian);
  const standardised = (values: number[]) => {
    const average = values.reduce((sum, value) => sum + value, 0) / values.length;
    const deviation = Math.sqrt(values.reduce((sum, value) => sum + (value - average) ** 2, 0) / values.length) || 1;
    return values.map((value) => (value - average) / deviation);
  };
  const embeddingPart = standardised(
    embeddings.map((vector) =>
      vector.reduce(
        (sum, value, index) => sum + (value - (mean[index] as number)) * (embeddingDirection[index] as number),
        0,
      ),
    ),
  );
  const lexicalPart = standardised(
    lexical.map((row) => row.reduce((sum, value, index) => sum + value * (lexicalDirection[index] as number), 0)),
  );
  const utility = titles.map(
    (_, index) => (embeddingPart[index] as number) + (options.lexicalWeight ?? 0.5) * (lexicalPart[index] as number),
  );
  const order = shuffled(
    titles.map((_, index) => index),
    random,
  );
  const unseenCount = Math.round(titles.length * (options.unseenTitleFraction ?? 0.2));
  const unseenPool = order.slice(0, unseenCount);
  const trainPool = order.slice(unseenCount);
  const listSize = options.listSize ?? 5;
  const makeLists = (pool: number[], count: number) =>
    Array.from({ length: count }, () => {
      const picked = shuffled(pool, random)
        .slice(0, listSize)
        .sort((left, right) => (utility[right] as number) - (utility[left] as number));
      return {
        titles: picked.map((index) => titles[index] as string),
        embeddings: picked.map((index) => embeddings[index] as number[]),
      };
    });
  return {
    train: makeLists(trainPool, options.trainLists),
    unseen: makeLists(unseenPool, options.unseenLists),
    trainTitles: trainPool.length,
    unseenTitles: unseenPool.length,
  };
}
