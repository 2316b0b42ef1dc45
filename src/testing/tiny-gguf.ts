/**
 * Builds a tiny, valid GGUF language model (llama architecture, random
 * weights, SentencePiece-style byte-fallback vocabulary) entirely in memory.
 *
 * Why it exists: the real default model is ~250 MB and decodes at tens of
 * tokens per second on CI runners, which is far too slow and too large for
 * unit tests. This model is ~0.5 MB, loads in milliseconds and decodes in
 * well under a millisecond per token, so tests can exercise the backend
 * *mechanics* — grammar-constrained generation, parallel sequences, abort,
 * dispose, token scoring, tokenise/detokenise of any UTF-8 text — without
 * downloading anything. Its output is gibberish by design; never use it to
 * test output quality.
 *
 * Use it with `threads: 1` on the context: the matrices are so small that a
 * second thread only adds synchronisation (on 2 vCPUs, 2 threads measured
 * 10–50 ms per token instead of 0.45 ms).
 *
 * Node built-ins only, deterministic: the same options always produce the
 * same bytes.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createSeededRandom, type RandomSource } from '../core/random.js';

/** Shape of the generated model. All values are small on purpose. */
export interface TinyGgufOptions {
  /** Number of transformer blocks. @default 2 */
  layers?: number;
  /** Hidden size; must be divisible by `headCount`. @default 64 */
  embeddingLength?: number;
  /** Attention heads (also used as key/value heads). @default 4 */
  headCount?: number;
  /** Hidden size of the feed-forward block. @default 128 */
  feedForwardLength?: number;
  /** Context length the model declares it was trained with. @default 512 */
  contextLength?: number;
  /** Seed for the deterministic pseudo-random weights. @default 1 */
  seed?: number;
}

/** Scale of the uniform random weights; small enough that activations never overflow. */
const WEIGHT_SCALE = 0.02;
/** Token embeddings get a larger scale so that different prompts give different logits. */
const EMBEDDING_SCALE = 0.5;
/** Output projection scale: logits spread by about ±2, peaked but not degenerate. */
const OUTPUT_SCALE = 0.5;
const ALIGNMENT = 32;

/** GGUF metadata value types used by this writer. */
const TYPE_UINT32 = 4;
const TYPE_INT32 = 5;
const TYPE_FLOAT32 = 6;
const TYPE_BOOL = 7;
const TYPE_STRING = 8;
const TYPE_ARRAY = 9;
/** `ggml_type` F32. */
const TENSOR_TYPE_F32 = 0;

/** SentencePiece token types (`llama_token_type`). */
const TOKEN_TYPE_NORMAL = 1;
const TOKEN_TYPE_UNKNOWN = 2;
const TOKEN_TYPE_CONTROL = 3;
const TOKEN_TYPE_BYTE = 6;

/** `<unk>`, `<s>`, `</s>`: the first three token ids. */
const CONTROL_TOKEN_COUNT = 3;

/** SentencePiece's visible space marker. */
const SPACE_MARKER = '\u2581';

/**
 * A few whole-word tokens so that common test text takes fewer tokens than one
 * per byte. Each word is added with all its prefixes, because the SentencePiece
 * merge algorithm only joins two pieces when their concatenation is a token.
 */
const EXTRA_WORDS = [
  `${SPACE_MARKER}the`,
  `${SPACE_MARKER}and`,
  `${SPACE_MARKER}for`,
  `${SPACE_MARKER}you`,
  `${SPACE_MARKER}new`,
  `${SPACE_MARKER}best`,
  `${SPACE_MARKER}title`,
  `${SPACE_MARKER}note`,
  'title',
  'target',
  'true',
  'false',
  'null',
];

/** One F32 tensor to write; shared with the LoRA adapter writer (`tiny-lora.ts`). */
export interface GgufTensor {
  /** Tensor name, e.g. `blk.0.attn_q.weight`. */
  name: string;
  /** GGUF dimension order: `dimensions[0]` is the innermost (contiguous) one. */
  dimensions: number[];
  /** Values, `dimensions` multiplied together. */
  data: Float32Array;
}

/** Vocabulary: `<unk>`, `<s>`, `</s>`, 256 byte tokens, then the extra word pieces. */
function buildVocabulary(): { tokens: string[]; scores: number[]; types: number[] } {
  const tokens = ['<unk>', '<s>', '</s>'];
  const types = [TOKEN_TYPE_UNKNOWN, TOKEN_TYPE_CONTROL, TOKEN_TYPE_CONTROL];
  for (let byte = 0; byte < 256; byte++) {
    tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    types.push(TOKEN_TYPE_BYTE);
  }
  const pieces = new Set<string>([SPACE_MARKER]);
  for (const word of EXTRA_WORDS) {
    const characters = [...word];
    for (let length = 2; length <= characters.length; length++) pieces.add(characters.slice(0, length).join(''));
  }
  for (const piece of pieces) {
    tokens.push(piece);
    types.push(TOKEN_TYPE_NORMAL);
  }
  // Longer pieces score higher, so the tokenizer prefers the longest merge.
  const scores = tokens.map((token, index) => (types[index] === TOKEN_TYPE_NORMAL ? -100 + [...token].length : 0));
  return { tokens, scores, types };
}

/** Growable little-endian byte writer. */
class ByteWriter {
  private buffer = new Uint8Array(1 << 16);
  private view = new DataView(this.buffer.buffer);
  length = 0;

  private reserve(byteCount: number): void {
    if (this.length + byteCount <= this.buffer.length) return;
    let capacity = this.buffer.length * 2;
    while (capacity < this.length + byteCount) capacity *= 2;
    const next = new Uint8Array(capacity);
    next.set(this.buffer.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next.buffer);
  }

  uint32(value: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, value, true);
    this.length += 4;
  }

  int32(value: number): void {
    this.reserve(4);
    this.view.setInt32(this.length, value, true);
    this.length += 4;
  }

  uint64(value: number): void {
    this.reserve(8);
    this.view.setBigUint64(this.length, BigInt(value), true);
    this.length += 8;
  }

  float32(value: number): void {
    this.reserve(4);
    this.view.setFloat32(this.length, value, true);
    this.length += 4;
  }

  bool(value: boolean): void {
    this.reserve(1);
    this.buffer[this.length++] = value ? 1 : 0;
  }

  bytes(bytes: Uint8Array): void {
    this.reserve(bytes.length);
    this.buffer.set(bytes, this.length);
    this.length += bytes.length;
  }

  string(value: string): void {
    const encoded = new TextEncoder().encode(value);
    this.uint64(encoded.length);
    this.bytes(encoded);
  }

  padTo(alignment: number): void {
    const padding = (alignment - (this.length % alignment)) % alignment;
    this.bytes(new Uint8Array(padding));
  }

  result(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}

/** A GGUF metadata value of one of the types this writer knows. */
export type GgufMetadataValue =
  | { type: 'uint32' | 'int32' | 'float32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: string[] }
  | { type: 'float32s'; value: number[] }
  | { type: 'int32s'; value: number[] };

function writeMetadataValue(writer: ByteWriter, entry: GgufMetadataValue): void {
  switch (entry.type) {
    case 'uint32':
      writer.uint32(TYPE_UINT32);
      writer.uint32(entry.value);
      return;
    case 'int32':
      writer.uint32(TYPE_INT32);
      writer.int32(entry.value);
      return;
    case 'float32':
      writer.uint32(TYPE_FLOAT32);
      writer.float32(entry.value);
      return;
    case 'bool':
      writer.uint32(TYPE_BOOL);
      writer.bool(entry.value);
      return;
    case 'string':
      writer.uint32(TYPE_STRING);
      writer.string(entry.value);
      return;
    case 'strings':
      writer.uint32(TYPE_ARRAY);
      writer.uint32(TYPE_STRING);
      writer.uint64(entry.value.length);
      for (const item of entry.value) writer.string(item);
      return;
    case 'float32s':
      writer.uint32(TYPE_ARRAY);
      writer.uint32(TYPE_FLOAT32);
      writer.uint64(entry.value.length);
      for (const item of entry.value) writer.float32(item);
      return;
    case 'int32s':
      writer.uint32(TYPE_ARRAY);
      writer.uint32(TYPE_INT32);
      writer.uint64(entry.value.length);
      for (const item of entry.value) writer.int32(item);
      return;
  }
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value <= 0)
    throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}

/** {@link TinyGgufOptions} with defaults applied and checked. */
type ResolvedTinyGgufOptions = Required<TinyGgufOptions>;

function resolveOptions(options: TinyGgufOptions): ResolvedTinyGgufOptions {
  const resolved = {
    layers: positiveInteger(options.layers ?? 2, 'layers'),
    embeddingLength: positiveInteger(options.embeddingLength ?? 64, 'embeddingLength'),
    headCount: positiveInteger(options.headCount ?? 4, 'headCount'),
    feedForwardLength: positiveInteger(options.feedForwardLength ?? 128, 'feedForwardLength'),
    contextLength: positiveInteger(options.contextLength ?? 512, 'contextLength'),
    seed: options.seed ?? 1,
  };
  if (resolved.embeddingLength % resolved.headCount !== 0) {
    throw new RangeError(
      `embeddingLength (${resolved.embeddingLength}) must be divisible by headCount (${resolved.headCount})`,
    );
  }
  return resolved;
}

/** Name and GGUF dimensions of one tensor of the tiny model. */
export interface TinyGgufTensorShape {
  /** Tensor name, e.g. `blk.0.attn_q.weight`. */
  name: string;
  /** GGUF order: matrices are `[input features, output features]`. */
  dimensions: number[];
}

/**
 * Every tensor of the tiny model described by `options`, in file order. The
 * LoRA writer reads it to shape adapters that fit (or, on purpose, do not fit)
 * a given tiny model.
 */
export function tinyGgufTensorShapes(options: TinyGgufOptions = {}): TinyGgufTensorShape[] {
  const { layers, embeddingLength, feedForwardLength } = resolveOptions(options);
  const vocabularySize = buildVocabulary().tokens.length;
  const shapes: TinyGgufTensorShape[] = [{ name: 'token_embd.weight', dimensions: [embeddingLength, vocabularySize] }];
  for (let layer = 0; layer < layers; layer++) {
    const prefix = `blk.${layer}`;
    shapes.push(
      { name: `${prefix}.attn_norm.weight`, dimensions: [embeddingLength] },
      { name: `${prefix}.attn_q.weight`, dimensions: [embeddingLength, embeddingLength] },
      { name: `${prefix}.attn_k.weight`, dimensions: [embeddingLength, embeddingLength] },
      { name: `${prefix}.attn_v.weight`, dimensions: [embeddingLength, embeddingLength] },
      { name: `${prefix}.attn_output.weight`, dimensions: [embeddingLength, embeddingLength] },
      { name: `${prefix}.ffn_norm.weight`, dimensions: [embeddingLength] },
      { name: `${prefix}.ffn_gate.weight`, dimensions: [embeddingLength, feedForwardLength] },
      { name: `${prefix}.ffn_up.weight`, dimensions: [embeddingLength, feedForwardLength] },
      { name: `${prefix}.ffn_down.weight`, dimensions: [feedForwardLength, embeddingLength] },
    );
  }
  // A separate output projection: tied to token_embd, the model would only
  // ever repeat its last token, which hides bugs in sampling and grammar code.
  shapes.push(
    { name: 'output_norm.weight', dimensions: [embeddingLength] },
    { name: 'output.weight', dimensions: [embeddingLength, vocabularySize] },
  );
  return shapes;
}

/** Scale of a tensor's uniform random values, or `'ones'` for norm weights. */
function valuesOf(name: string): 'ones' | number {
  if (name.endsWith('_norm.weight')) return 'ones';
  if (name === 'token_embd.weight') return EMBEDDING_SCALE;
  if (name === 'output.weight') return OUTPUT_SCALE;
  return WEIGHT_SCALE;
}

/** Fills a tensor of `dimensions` with values uniform in ±`scale`, drawn from `random` in order. */
export function uniformTensor(name: string, dimensions: number[], scale: number, random: RandomSource): GgufTensor {
  const data = new Float32Array(dimensions.reduce((product, size) => product * size, 1));
  for (let index = 0; index < data.length; index++) data[index] = (random() * 2 - 1) * scale;
  return { name, dimensions, data };
}

/**
 * Serialises a GGUF v3 file: header, metadata, tensor descriptors, then the F32
 * tensor data, each tensor aligned to 32 bytes (the GGUF default alignment).
 * Shared by the tiny model and the tiny LoRA adapter writers.
 */
export function encodeGguf(metadata: Array<[string, GgufMetadataValue]>, tensors: GgufTensor[]): Uint8Array {
  const writer = new ByteWriter();
  writer.bytes(new TextEncoder().encode('GGUF'));
  writer.uint32(3); // GGUF version
  writer.uint64(tensors.length);
  writer.uint64(metadata.length);
  for (const [key, value] of metadata) {
    writer.string(key);
    writeMetadataValue(writer, value);
  }

  // Tensor descriptors; offsets are relative to the aligned start of the data section.
  let dataOffset = 0;
  for (const tensor of tensors) {
    writer.string(tensor.name);
    writer.uint32(tensor.dimensions.length);
    for (const size of tensor.dimensions) writer.uint64(size);
    writer.uint32(TENSOR_TYPE_F32);
    writer.uint64(dataOffset);
    const byteLength = tensor.data.length * 4;
    dataOffset += byteLength + ((ALIGNMENT - (byteLength % ALIGNMENT)) % ALIGNMENT);
  }

  writer.padTo(ALIGNMENT);
  for (const tensor of tensors) {
    for (const value of tensor.data) writer.float32(value);
    writer.padTo(ALIGNMENT);
  }
  return writer.result();
}

/** Creates `path`'s parent folders, writes `bytes` and returns `path`. */
export async function writeBytes(path: string, bytes: Uint8Array): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, bytes);
  return path;
}

/**
 * Builds the whole tiny GGUF file in memory.
 *
 * The model loads with llama.cpp (e.g. node-llama-cpp `loadModel`) and
 * supports every backend operation; see the module comment for the intended
 * use. Weights are uniform in ±0.02 (embeddings and output projection ±0.5), drawn from a mulberry32
 * generator seeded with `options.seed`, so the file is byte-for-byte
 * reproducible.
 */
export function buildTinyGguf(options: TinyGgufOptions = {}): Uint8Array {
  const { layers, embeddingLength, headCount, feedForwardLength, contextLength, seed } = resolveOptions(options);
  const vocabulary = buildVocabulary();
  const vocabularySize = vocabulary.tokens.length;
  const random = createSeededRandom(seed);

  // Weights are drawn in file order, so the same seed always gives the same bytes.
  const tensors = tinyGgufTensorShapes(options).map(({ name, dimensions }): GgufTensor => {
    const values = valuesOf(name);
    return values === 'ones'
      ? { name, dimensions, data: new Float32Array(dimensions[0] ?? 0).fill(1) }
      : uniformTensor(name, dimensions, values, random);
  });
  // Zero rows for <unk>, <s>, </s>: their logit is always 0 while the best
  // other token scores several units higher, so free generation practically
  // never stops by itself (tests bound it with maxTokens); a grammar can still
  // force </s>.
  tensors.at(-1)?.data.fill(0, 0, CONTROL_TOKEN_COUNT * embeddingLength);

  const metadata: Array<[string, GgufMetadataValue]> = [
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['general.name', { type: 'string', value: 'copyforge-tiny-test' }],
    ['general.file_type', { type: 'uint32', value: 0 }], // all F32
    ['general.alignment', { type: 'uint32', value: ALIGNMENT }],
    ['llama.context_length', { type: 'uint32', value: contextLength }],
    ['llama.embedding_length', { type: 'uint32', value: embeddingLength }],
    ['llama.block_count', { type: 'uint32', value: layers }],
    ['llama.feed_forward_length', { type: 'uint32', value: feedForwardLength }],
    ['llama.attention.head_count', { type: 'uint32', value: headCount }],
    ['llama.attention.head_count_kv', { type: 'uint32', value: headCount }],
    ['llama.rope.dimension_count', { type: 'uint32', value: embeddingLength / headCount }],
    ['llama.rope.freq_base', { type: 'float32', value: 10000 }],
    ['llama.attention.layer_norm_rms_epsilon', { type: 'float32', value: 1e-5 }],
    ['llama.vocab_size', { type: 'uint32', value: vocabularySize }],
    ['tokenizer.ggml.model', { type: 'string', value: 'llama' }],
    ['tokenizer.ggml.tokens', { type: 'strings', value: vocabulary.tokens }],
    ['tokenizer.ggml.scores', { type: 'float32s', value: vocabulary.scores }],
    ['tokenizer.ggml.token_type', { type: 'int32s', value: vocabulary.types }],
    ['tokenizer.ggml.unknown_token_id', { type: 'uint32', value: 0 }],
    ['tokenizer.ggml.bos_token_id', { type: 'uint32', value: 1 }],
    ['tokenizer.ggml.eos_token_id', { type: 'uint32', value: 2 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.add_eos_token', { type: 'bool', value: false }],
  ];
  return encodeGguf(metadata, tensors);
}

/**
 * Writes {@link buildTinyGguf}'s output to `path` (creating parent folders)
 * and returns `path`, ready for `llama.loadModel({ modelPath })`.
 */
export async function writeTinyGguf(path: string, options?: TinyGgufOptions): Promise<string> {
  return writeBytes(path, buildTinyGguf(options));
}
