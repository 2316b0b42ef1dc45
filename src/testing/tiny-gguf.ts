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

interface Tensor {
  name: string;
  /** GGUF dimension order: `dimensions[0]` is the innermost (contiguous) one. */
  dimensions: number[];
  data: Float32Array;
}

/** mulberry32: tiny, fast, good-enough deterministic PRNG returning [0, 1). */
function createRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = state;
    mixed = Math.imul(mixed ^ (mixed >>> 15), mixed | 1);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), mixed | 61);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
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

type MetadataValue =
  | { type: 'uint32' | 'int32' | 'float32'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string }
  | { type: 'strings'; value: string[] }
  | { type: 'float32s'; value: number[] }
  | { type: 'int32s'; value: number[] };

function writeMetadataValue(writer: ByteWriter, entry: MetadataValue): void {
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
  const layers = positiveInteger(options.layers ?? 2, 'layers');
  const embeddingLength = positiveInteger(options.embeddingLength ?? 64, 'embeddingLength');
  const headCount = positiveInteger(options.headCount ?? 4, 'headCount');
  const feedForwardLength = positiveInteger(options.feedForwardLength ?? 128, 'feedForwardLength');
  const contextLength = positiveInteger(options.contextLength ?? 512, 'contextLength');
  const seed = options.seed ?? 1;
  if (embeddingLength % headCount !== 0) {
    throw new RangeError(`embeddingLength (${embeddingLength}) must be divisible by headCount (${headCount})`);
  }
  const headDimension = embeddingLength / headCount;
  const vocabulary = buildVocabulary();
  const vocabularySize = vocabulary.tokens.length;
  const random = createRandom(seed);

  const randomTensor = (name: string, dimensions: number[], scale = WEIGHT_SCALE): Tensor => {
    const data = new Float32Array(dimensions.reduce((product, size) => product * size, 1));
    for (let index = 0; index < data.length; index++) data[index] = (random() * 2 - 1) * scale;
    return { name, dimensions, data };
  };
  const onesTensor = (name: string, length: number): Tensor => ({
    name,
    dimensions: [length],
    data: new Float32Array(length).fill(1),
  });

  // Matrices are [input, output] in GGUF order (ne0 = input features).
  const tensors: Tensor[] = [randomTensor('token_embd.weight', [embeddingLength, vocabularySize], EMBEDDING_SCALE)];
  for (let layer = 0; layer < layers; layer++) {
    const prefix = `blk.${layer}`;
    tensors.push(
      onesTensor(`${prefix}.attn_norm.weight`, embeddingLength),
      randomTensor(`${prefix}.attn_q.weight`, [embeddingLength, embeddingLength]),
      randomTensor(`${prefix}.attn_k.weight`, [embeddingLength, embeddingLength]),
      randomTensor(`${prefix}.attn_v.weight`, [embeddingLength, embeddingLength]),
      randomTensor(`${prefix}.attn_output.weight`, [embeddingLength, embeddingLength]),
      onesTensor(`${prefix}.ffn_norm.weight`, embeddingLength),
      randomTensor(`${prefix}.ffn_gate.weight`, [embeddingLength, feedForwardLength]),
      randomTensor(`${prefix}.ffn_up.weight`, [embeddingLength, feedForwardLength]),
      randomTensor(`${prefix}.ffn_down.weight`, [feedForwardLength, embeddingLength]),
    );
  }
  // A separate output projection: tied to token_embd, the model would only
  // ever repeat its last token, which hides bugs in sampling and grammar code.
  const output = randomTensor('output.weight', [embeddingLength, vocabularySize], OUTPUT_SCALE);
  // Zero rows for <unk>, <s>, </s>: their logit is always 0 while the best
  // other token scores several units higher, so free generation practically
  // never stops by itself (tests bound it with maxTokens); a grammar can still
  // force </s>.
  output.data.fill(0, 0, CONTROL_TOKEN_COUNT * embeddingLength);
  tensors.push(onesTensor('output_norm.weight', embeddingLength), output);

  const metadata: Array<[string, MetadataValue]> = [
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
    ['llama.rope.dimension_count', { type: 'uint32', value: headDimension }],
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

/**
 * Writes {@link buildTinyGguf}'s output to `path` (creating parent folders)
 * and returns `path`, ready for `llama.loadModel({ modelPath })`.
 */
export async function writeTinyGguf(path: string, options?: TinyGgufOptions): Promise<string> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, buildTinyGguf(options));
  return path;
}
