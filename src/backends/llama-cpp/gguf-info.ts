/**
 * Minimal GGUF header reader used by `copyforge model info`.
 *
 * It parses the file header, every metadata key/value pair and the tensor
 * descriptors, but never the tensor data, so it runs in milliseconds even on
 * multi-gigabyte models and needs no native code (node-llama-cpp is an
 * optional dependency; this module must work without it).
 *
 * Format reference: ggml `docs/gguf.md`. Supported: GGUF v1, v2 and v3,
 * little- and big-endian files, every metadata value type including nested
 * arrays.
 */
import { type FileHandle, open } from 'node:fs/promises';

/** Summary of one GGUF file, as returned by {@link readGgufInfo}. */
export interface GgufInfo {
  /** GGUF container version (1, 2 or 3). */
  version: number;
  /** Byte order of the file; almost every published model is little-endian. */
  byteOrder: 'little-endian' | 'big-endian';
  /** Number of tensors declared in the header. */
  tensorCount: number;
  /** Number of metadata key/value pairs. */
  metadataCount: number;
  /** `general.architecture` (e.g. `gemma3`, `llama`); `unknown` when absent. */
  architecture: string;
  /** `general.name`, when present. */
  name?: string;
  /** Size of the file on disk, in bytes. */
  sizeBytes: number;
  /**
   * Quantisation of the file: the name of `general.file_type` (e.g. `Q4_K_M`,
   * `F16`, `F32`). When the key is absent, the most common tensor type with a
   * ` (guessed)` suffix; `unknown` when even that is impossible.
   */
  fileType: string;
  /** Raw `general.file_type` number, when present. */
  fileTypeId?: number;
  /** Total number of weights over all tensors. */
  parameterCount: number;
  /** `<arch>.context_length`: the context size the model was trained with. */
  contextLength?: number;
  /** `<arch>.embedding_length`. */
  embeddingLength?: number;
  /** `<arch>.block_count` (number of transformer layers). */
  blockCount?: number;
  /** Whether `tokenizer.chat_template` is present (instruction-tuned models usually ship one). */
  hasChatTemplate: boolean;
  /** Length of `tokenizer.ggml.tokens`, falling back to `<arch>.vocab_size`. */
  vocabularySize?: number;
  /**
   * All metadata values. Scalars and strings are kept as they are (64-bit
   * integers become numbers when safe, decimal strings otherwise); arrays are
   * replaced by a {@link GgufArraySummary}.
   */
  metadata: Record<string, unknown>;
}

/** How an array metadata value is reported in {@link GgufInfo.metadata}. */
export interface GgufArraySummary {
  type: 'array';
  /** Element type name, e.g. `string`, `float32`, `array`. */
  elementType: string;
  length: number;
  /** The values themselves, only for short arrays of scalars (at most {@link SHORT_ARRAY_LIMIT}). */
  values?: unknown[];
}

/** Thrown when a file is not a GGUF file or its header is damaged. */
export class GgufFormatError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'GgufFormatError';
  }
}

/** Arrays up to this length are returned in full in the metadata. */
export const SHORT_ARRAY_LIMIT = 16;

const GGUF_MAGIC = 'GGUF';
const READ_CHUNK_BYTES = 1024 * 1024;

/** GGUF metadata value types (`gguf_type`). */
enum ValueType {
  Uint8 = 0,
  Int8 = 1,
  Uint16 = 2,
  Int16 = 3,
  Uint32 = 4,
  Int32 = 5,
  Float32 = 6,
  Bool = 7,
  String = 8,
  Array = 9,
  Uint64 = 10,
  Int64 = 11,
  Float64 = 12,
}

const VALUE_TYPE_NAMES: Record<number, string> = {
  [ValueType.Uint8]: 'uint8',
  [ValueType.Int8]: 'int8',
  [ValueType.Uint16]: 'uint16',
  [ValueType.Int16]: 'int16',
  [ValueType.Uint32]: 'uint32',
  [ValueType.Int32]: 'int32',
  [ValueType.Float32]: 'float32',
  [ValueType.Bool]: 'bool',
  [ValueType.String]: 'string',
  [ValueType.Array]: 'array',
  [ValueType.Uint64]: 'uint64',
  [ValueType.Int64]: 'int64',
  [ValueType.Float64]: 'float64',
};

/** Byte size of fixed-size value types (strings and arrays are variable). */
const FIXED_VALUE_SIZES: Record<number, number> = {
  [ValueType.Uint8]: 1,
  [ValueType.Int8]: 1,
  [ValueType.Uint16]: 2,
  [ValueType.Int16]: 2,
  [ValueType.Uint32]: 4,
  [ValueType.Int32]: 4,
  [ValueType.Float32]: 4,
  [ValueType.Bool]: 1,
  [ValueType.Uint64]: 8,
  [ValueType.Int64]: 8,
  [ValueType.Float64]: 8,
};

/** `general.file_type` (llama.cpp `llama_ftype`) to its usual name. */
const FILE_TYPE_NAMES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  4: 'Q4_1_SOME_F16',
  5: 'Q4_2',
  6: 'Q4_3',
  7: 'Q8_0',
  8: 'Q5_0',
  9: 'Q5_1',
  10: 'Q2_K',
  11: 'Q3_K_S',
  12: 'Q3_K_M',
  13: 'Q3_K_L',
  14: 'Q4_K_S',
  15: 'Q4_K_M',
  16: 'Q5_K_S',
  17: 'Q5_K_M',
  18: 'Q6_K',
  19: 'IQ2_XXS',
  20: 'IQ2_XS',
  21: 'Q2_K_S',
  22: 'IQ3_XS',
  23: 'IQ3_XXS',
  24: 'IQ1_S',
  25: 'IQ4_NL',
  26: 'IQ3_S',
  27: 'IQ3_M',
  28: 'IQ2_S',
  29: 'IQ2_M',
  30: 'IQ4_XS',
  31: 'IQ1_M',
  32: 'BF16',
  33: 'Q4_0_4_4',
  34: 'Q4_0_4_8',
  35: 'Q4_0_8_8',
  36: 'TQ1_0',
  37: 'TQ2_0',
  38: 'MXFP4_MOE',
};

/** Tensor element types (`ggml_type`), used to guess the quantisation. */
const TENSOR_TYPE_NAMES: Record<number, string> = {
  0: 'F32',
  1: 'F16',
  2: 'Q4_0',
  3: 'Q4_1',
  6: 'Q5_0',
  7: 'Q5_1',
  8: 'Q8_0',
  9: 'Q8_1',
  10: 'Q2_K',
  11: 'Q3_K',
  12: 'Q4_K',
  13: 'Q5_K',
  14: 'Q6_K',
  15: 'Q8_K',
  16: 'IQ2_XXS',
  17: 'IQ2_XS',
  18: 'IQ3_XXS',
  19: 'IQ1_S',
  20: 'IQ4_NL',
  21: 'IQ3_S',
  22: 'IQ2_S',
  23: 'IQ4_XS',
  24: 'I8',
  25: 'I16',
  26: 'I32',
  27: 'I64',
  28: 'F64',
  29: 'IQ1_M',
  30: 'BF16',
  34: 'TQ1_0',
  35: 'TQ2_0',
  39: 'MXFP4',
};

/** Name for a `general.file_type` number (`unknown(<n>)` for unlisted values). */
export function ggufFileTypeName(fileTypeId: number): string {
  // Bit 10 (1024) marks a file type that the converter guessed.
  const guessed = (fileTypeId & 1024) !== 0;
  const baseId = fileTypeId & ~1024;
  const name = FILE_TYPE_NAMES[baseId] ?? `unknown(${baseId})`;
  return guessed ? `${name} (guessed)` : name;
}

/**
 * Buffered, forward-only reader over a file handle. Keeps at most one chunk
 * (plus the largest single value) in memory.
 */
class ChunkedReader {
  private buffer = Buffer.alloc(0);
  /** File offset of `buffer[0]`. */
  private bufferStart = 0;
  /** Read position inside `buffer`. */
  private cursor = 0;
  littleEndian = true;

  constructor(
    private readonly file: FileHandle,
    readonly fileSize: number,
  ) {}

  /** Current absolute file offset. */
  get position(): number {
    return this.bufferStart + this.cursor;
  }

  /** Makes sure `byteCount` bytes are available at the cursor. */
  private async ensure(byteCount: number): Promise<void> {
    if (this.cursor + byteCount <= this.buffer.length) return;
    if (this.position + byteCount > this.fileSize) {
      throw new GgufFormatError(
        `Unexpected end of file at byte ${this.position} (needed ${byteCount} more bytes of ${this.fileSize})`,
      );
    }
    const remaining = this.buffer.subarray(this.cursor);
    const wanted = Math.max(byteCount, READ_CHUNK_BYTES);
    const toRead = Math.min(wanted - remaining.length, this.fileSize - this.position - remaining.length);
    const next = Buffer.allocUnsafe(remaining.length + toRead);
    remaining.copy(next, 0);
    let filled = remaining.length;
    while (filled < next.length) {
      const { bytesRead } = await this.file.read(next, filled, next.length - filled, this.position + filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    this.bufferStart = this.position;
    this.buffer = next.subarray(0, filled);
    this.cursor = 0;
    if (filled < byteCount) throw new GgufFormatError(`Unexpected end of file at byte ${this.position}`);
  }

  /** Advances without reading bytes that are not buffered yet. */
  async skip(byteCount: number): Promise<void> {
    if (this.position + byteCount > this.fileSize) {
      throw new GgufFormatError(`Value at byte ${this.position} runs past the end of the file`);
    }
    const buffered = this.buffer.length - this.cursor;
    if (byteCount <= buffered) {
      this.cursor += byteCount;
      return;
    }
    this.bufferStart = this.position + byteCount;
    this.buffer = Buffer.alloc(0);
    this.cursor = 0;
  }

  /**
   * Skips `count` length-prefixed strings. Works synchronously on buffered
   * data, so a 262k-entry token list costs a few milliseconds.
   */
  async skipStrings(count: number, lengthBytes: 4 | 8): Promise<void> {
    for (let index = 0; index < count; index++) {
      await this.ensure(lengthBytes);
      const length =
        lengthBytes === 4
          ? this.littleEndian
            ? this.buffer.readUInt32LE(this.cursor)
            : this.buffer.readUInt32BE(this.cursor)
          : Number(
              this.littleEndian ? this.buffer.readBigUInt64LE(this.cursor) : this.buffer.readBigUInt64BE(this.cursor),
            );
      if (!Number.isSafeInteger(length) || length > this.fileSize) {
        throw new GgufFormatError(`Implausible string length ${length} at byte ${this.position}`);
      }
      const total = lengthBytes + length;
      if (this.cursor + total <= this.buffer.length) this.cursor += total;
      else await this.skip(total);
    }
  }

  async bytes(byteCount: number): Promise<Buffer> {
    await this.ensure(byteCount);
    const slice = this.buffer.subarray(this.cursor, this.cursor + byteCount);
    this.cursor += byteCount;
    return slice;
  }

  async uint8(): Promise<number> {
    await this.ensure(1);
    return this.buffer.readUInt8(this.cursor++);
  }

  async int8(): Promise<number> {
    await this.ensure(1);
    return this.buffer.readInt8(this.cursor++);
  }

  async uint16(): Promise<number> {
    const bytes = await this.bytes(2);
    return this.littleEndian ? bytes.readUInt16LE(0) : bytes.readUInt16BE(0);
  }

  async int16(): Promise<number> {
    const bytes = await this.bytes(2);
    return this.littleEndian ? bytes.readInt16LE(0) : bytes.readInt16BE(0);
  }

  async uint32(): Promise<number> {
    const bytes = await this.bytes(4);
    return this.littleEndian ? bytes.readUInt32LE(0) : bytes.readUInt32BE(0);
  }

  async int32(): Promise<number> {
    const bytes = await this.bytes(4);
    return this.littleEndian ? bytes.readInt32LE(0) : bytes.readInt32BE(0);
  }

  async float32(): Promise<number> {
    const bytes = await this.bytes(4);
    return this.littleEndian ? bytes.readFloatLE(0) : bytes.readFloatBE(0);
  }

  async float64(): Promise<number> {
    const bytes = await this.bytes(8);
    return this.littleEndian ? bytes.readDoubleLE(0) : bytes.readDoubleBE(0);
  }

  async uint64(): Promise<bigint> {
    const bytes = await this.bytes(8);
    return this.littleEndian ? bytes.readBigUInt64LE(0) : bytes.readBigUInt64BE(0);
  }

  async int64(): Promise<bigint> {
    const bytes = await this.bytes(8);
    return this.littleEndian ? bytes.readBigInt64LE(0) : bytes.readBigInt64BE(0);
  }
}

/** Converts a 64-bit integer to a number when exact, to a decimal string otherwise. */
function fromBigInt(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER)
    ? Number(value)
    : value.toString();
}

function byteSwap32(value: number): number {
  return (((value & 0xff) << 24) | ((value & 0xff00) << 8) | ((value >>> 8) & 0xff00) | (value >>> 24)) >>> 0;
}

/** Reads a length or count field: 32-bit in GGUF v1, 64-bit from v2 on. */
async function readCount(reader: ChunkedReader, version: number, what: string): Promise<number> {
  const count = version === 1 ? await reader.uint32() : await reader.uint64();
  const asNumber = Number(count);
  // Anything longer than the file itself can only come from a damaged header.
  if (!Number.isSafeInteger(asNumber) || asNumber > reader.fileSize) {
    throw new GgufFormatError(`Implausible ${what} ${count.toString()} at byte ${reader.position}`);
  }
  return asNumber;
}

async function readString(reader: ChunkedReader, version: number): Promise<string> {
  const length = await readCount(reader, version, 'string length');
  return (await reader.bytes(length)).toString('utf8');
}

async function readScalar(reader: ChunkedReader, type: number, version: number): Promise<unknown> {
  switch (type) {
    case ValueType.Uint8:
      return reader.uint8();
    case ValueType.Int8:
      return reader.int8();
    case ValueType.Uint16:
      return reader.uint16();
    case ValueType.Int16:
      return reader.int16();
    case ValueType.Uint32:
      return reader.uint32();
    case ValueType.Int32:
      return reader.int32();
    case ValueType.Float32:
      return reader.float32();
    case ValueType.Float64:
      return reader.float64();
    case ValueType.Bool:
      return (await reader.uint8()) !== 0;
    case ValueType.Uint64:
      return fromBigInt(await reader.uint64());
    case ValueType.Int64:
      return fromBigInt(await reader.int64());
    case ValueType.String:
      return readString(reader, version);
    default:
      throw new GgufFormatError(`Unknown metadata value type ${type} at byte ${reader.position}`);
  }
}

/** Skips one value of any type without materialising it. */
async function skipValue(reader: ChunkedReader, type: number, version: number): Promise<void> {
  const fixedSize = FIXED_VALUE_SIZES[type];
  if (fixedSize !== undefined) return reader.skip(fixedSize);
  if (type === ValueType.String) {
    return reader.skip(await readCount(reader, version, 'string length'));
  }
  if (type === ValueType.Array) {
    const elementType = await reader.uint32();
    const length = await readCount(reader, version, 'array length');
    await skipArrayElements(reader, elementType, length, version);
    return;
  }
  throw new GgufFormatError(`Unknown metadata value type ${type} at byte ${reader.position}`);
}

async function skipArrayElements(
  reader: ChunkedReader,
  elementType: number,
  length: number,
  version: number,
): Promise<void> {
  const fixedSize = FIXED_VALUE_SIZES[elementType];
  // Numeric arrays (scores, token types, merges ranks) are skipped in one jump.
  if (fixedSize !== undefined) return reader.skip(fixedSize * length);
  // Token lists are arrays of strings: skip them without decoding.
  if (elementType === ValueType.String) return reader.skipStrings(length, version === 1 ? 4 : 8);
  for (let index = 0; index < length; index++) await skipValue(reader, elementType, version);
}

async function readValue(reader: ChunkedReader, type: number, version: number): Promise<unknown> {
  if (type !== ValueType.Array) return readScalar(reader, type, version);
  const elementType = await reader.uint32();
  const length = await readCount(reader, version, 'array length');
  const summary: GgufArraySummary = {
    type: 'array',
    elementType: VALUE_TYPE_NAMES[elementType] ?? `unknown(${elementType})`,
    length,
  };
  if (length <= SHORT_ARRAY_LIMIT && elementType !== ValueType.Array) {
    const values: unknown[] = [];
    for (let index = 0; index < length; index++) values.push(await readScalar(reader, elementType, version));
    summary.values = values;
  } else {
    await skipArrayElements(reader, elementType, length, version);
  }
  return summary;
}

function numberOrUndefined(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

/**
 * Reads the header, metadata and tensor descriptors of a GGUF model file.
 *
 * The file is read through a handle in 1 MiB chunks; big arrays such as the
 * 262k-entry token list of Gemma 3 are skipped and only their length is
 * reported, so memory stays small regardless of the model size.
 *
 * @throws {GgufFormatError} when the file is not GGUF or its header is damaged.
 */
export async function readGgufInfo(path: string): Promise<GgufInfo> {
  const file = await open(path, 'r');
  try {
    const { size: fileSize } = await file.stat();
    const reader = new ChunkedReader(file, fileSize);

    const magic = (await reader.bytes(4).catch(() => Buffer.alloc(0))).toString('latin1');
    if (magic !== GGUF_MAGIC) {
      throw new GgufFormatError(`${path} is not a GGUF file (magic ${JSON.stringify(magic)})`);
    }
    let version = await reader.uint32();
    // A big-endian file shows its version byte-swapped (e.g. 0x03000000).
    if (version > 0xffff) {
      reader.littleEndian = false;
      version = byteSwap32(version);
    }
    if (version < 1 || version > 3) throw new GgufFormatError(`Unsupported GGUF version ${version}`);

    const tensorCount = await readCount(reader, version, 'tensor count');
    const metadataCount = await readCount(reader, version, 'metadata count');

    const metadata: Record<string, unknown> = {};
    let tokenCount: number | undefined;
    for (let index = 0; index < metadataCount; index++) {
      const key = await readString(reader, version);
      const type = await reader.uint32();
      const value = await readValue(reader, type, version);
      metadata[key] = value;
      if (key === 'tokenizer.ggml.tokens') tokenCount = (value as GgufArraySummary).length;
    }

    // Tensor descriptors: name, dimensions, element type, data offset.
    let parameterCount = 0;
    const weightsPerTensorType = new Map<number, number>();
    for (let index = 0; index < tensorCount; index++) {
      await readString(reader, version);
      const dimensionCount = await reader.uint32();
      let elements = 1;
      for (let dimension = 0; dimension < dimensionCount; dimension++) {
        elements *= version === 1 ? await reader.uint32() : Number(await reader.uint64());
      }
      const tensorType = await reader.uint32();
      await reader.skip(8); // data offset
      parameterCount += elements;
      if (dimensionCount >= 2) {
        weightsPerTensorType.set(tensorType, (weightsPerTensorType.get(tensorType) ?? 0) + elements);
      }
    }

    const architecture =
      typeof metadata['general.architecture'] === 'string' ? metadata['general.architecture'] : 'unknown';
    const fileTypeId = numberOrUndefined(metadata['general.file_type']);
    let fileType = 'unknown';
    if (fileTypeId !== undefined) {
      fileType = ggufFileTypeName(fileTypeId);
    } else if (weightsPerTensorType.size > 0) {
      const [mostCommonType] = [...weightsPerTensorType.entries()].sort((left, right) => right[1] - left[1])[0]!;
      fileType = `${TENSOR_TYPE_NAMES[mostCommonType] ?? `unknown(${mostCommonType})`} (guessed)`;
    }

    const name = metadata['general.name'];
    const info: GgufInfo = {
      version,
      byteOrder: reader.littleEndian ? 'little-endian' : 'big-endian',
      tensorCount,
      metadataCount,
      architecture,
      sizeBytes: fileSize,
      fileType,
      parameterCount,
      hasChatTemplate: typeof metadata['tokenizer.chat_template'] === 'string',
      metadata,
    };
    if (typeof name === 'string') info.name = name;
    if (fileTypeId !== undefined) info.fileTypeId = fileTypeId;
    const contextLength = numberOrUndefined(metadata[`${architecture}.context_length`]);
    if (contextLength !== undefined) info.contextLength = contextLength;
    const embeddingLength = numberOrUndefined(metadata[`${architecture}.embedding_length`]);
    if (embeddingLength !== undefined) info.embeddingLength = embeddingLength;
    const blockCount = numberOrUndefined(metadata[`${architecture}.block_count`]);
    if (blockCount !== undefined) info.blockCount = blockCount;
    const vocabularySize = tokenCount ?? numberOrUndefined(metadata[`${architecture}.vocab_size`]);
    if (vocabularySize !== undefined) info.vocabularySize = vocabularySize;
    return info;
  } finally {
    await file.close();
  }
}
