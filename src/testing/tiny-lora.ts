/**
 * Builds a tiny LoRA adapter GGUF for the tiny model of `tiny-gguf.ts`, so
 * tests can exercise the llama.cpp backend's `lora` option with a real adapter
 * file instead of trusting that the option is passed through.
 *
 * The format is llama.cpp's (`src/llama-adapter.cpp`, `llama_adapter_lora_init`):
 * `general.type = "adapter"`, `adapter.type = "lora"`, `adapter.lora.alpha`,
 * `general.architecture` equal to the base model's, and for each adapted
 * matrix `W` of GGUF shape `[in, out]` a pair `<name>.lora_a` of shape
 * `[in, rank]` and `<name>.lora_b` of shape `[rank, out]`. llama.cpp adds
 * `B·(A·x) · scale · alpha / rank` to `W·x`, where `scale` is the strength
 * given at context creation (node-llama-cpp's `lora.adapters[].scale`).
 * A real adapter comes from `convert_lora_to_gguf.py` (llama.cpp) run on a
 * Hugging Face PEFT adapter; this one has random weights.
 */
import { createSeededRandom } from '../core/random.js';
import {
  encodeGguf,
  type GgufMetadataValue,
  type GgufTensor,
  type TinyGgufOptions,
  tinyGgufTensorShapes,
  uniformTensor,
  writeBytes,
} from './tiny-gguf.js';

/** Matrices of the tiny model a LoRA adapter can target (`blk.N.<kind>.weight`, or `output.weight`). */
export type TinyLoraTarget =
  | 'attn_q'
  | 'attn_k'
  | 'attn_v'
  | 'attn_output'
  | 'ffn_gate'
  | 'ffn_up'
  | 'ffn_down'
  | 'output';

/** Shape and strength of the generated adapter. */
export interface TinyLoraOptions {
  /**
   * The tiny model the adapter is for (only its shape counts, not its seed). Give a different
   * shape than the loaded model's to get an adapter llama.cpp rejects.
   * @default {} (the default tiny model of `buildTinyGguf`)
   * @example { embeddingLength: 32 }
   */
  base?: TinyGgufOptions;
  /** Rank of the low-rank update. @default 4 */
  rank?: number;
  /**
   * `adapter.lora.alpha`: llama.cpp multiplies the update by alpha / rank (0 means 1).
   * @default rank (the update is used as is)
   */
  alpha?: number;
  /**
   * Matrices to adapt, in every block for the `blk` kinds.
   * @default every linear layer: all `attn_*`, all `ffn_*` and `output`
   * @example ['attn_q', 'attn_v']
   */
  targets?: TinyLoraTarget[];
  /**
   * `lora_a` and `lora_b` values are uniform in ±weightScale. The default, 0.5, changes the
   * tiny model's greedy output within a few tokens; 0 writes an adapter of zeros (no effect).
   * @default 0.5
   */
  weightScale?: number;
  /** Seed of the pseudo-random adapter weights. @default 1 */
  seed?: number;
  /**
   * `general.architecture`; llama.cpp refuses an adapter whose architecture is not the model's.
   * @default 'llama'
   */
  architecture?: string;
}

const ALL_TARGETS: readonly TinyLoraTarget[] = [
  'attn_q',
  'attn_k',
  'attn_v',
  'attn_output',
  'ffn_gate',
  'ffn_up',
  'ffn_down',
  'output',
];

/** The target kind of a tiny model tensor name, if it has one. */
function targetOf(name: string): TinyLoraTarget | undefined {
  const kind = name === 'output.weight' ? 'output' : /^blk\.\d+\.(\w+)\.weight$/.exec(name)?.[1];
  return ALL_TARGETS.find((target) => target === kind);
}

/**
 * Builds the adapter GGUF in memory; the same options always give the same bytes.
 *
 * @example
 * const bytes = buildTinyLoraGguf({ rank: 2, targets: ['output'] });
 */
export function buildTinyLoraGguf(options: TinyLoraOptions = {}): Uint8Array {
  const rank = options.rank ?? 4;
  if (!Number.isSafeInteger(rank) || rank <= 0) throw new RangeError(`rank must be a positive integer, got ${rank}`);
  const alpha = options.alpha ?? rank;
  const weightScale = options.weightScale ?? 0.5;
  if (!Number.isFinite(alpha) || !Number.isFinite(weightScale)) {
    throw new RangeError(`alpha and weightScale must be finite numbers, got ${alpha} and ${weightScale}`);
  }
  const targets = new Set(options.targets ?? ALL_TARGETS);
  if (targets.size === 0) throw new RangeError('targets must name at least one matrix');
  const random = createSeededRandom(options.seed ?? 1);

  const tensors: GgufTensor[] = [];
  for (const { name, dimensions } of tinyGgufTensorShapes(options.base)) {
    const target = targetOf(name);
    if (target === undefined || !targets.has(target)) continue;
    const [inputs = 0, outputs = 0] = dimensions;
    // llama-adapter.cpp checks a.ne[0] == W.ne[0], b.ne[1] == W.ne[1] and a.ne[1] == b.ne[0].
    tensors.push(
      uniformTensor(`${name}.lora_a`, [inputs, rank], weightScale, random),
      uniformTensor(`${name}.lora_b`, [rank, outputs], weightScale, random),
    );
  }

  const metadata: Array<[string, GgufMetadataValue]> = [
    ['general.architecture', { type: 'string', value: options.architecture ?? 'llama' }],
    ['general.type', { type: 'string', value: 'adapter' }],
    ['general.name', { type: 'string', value: 'copyforge-tiny-lora-test' }],
    ['general.alignment', { type: 'uint32', value: 32 }],
    ['adapter.type', { type: 'string', value: 'lora' }],
    ['adapter.lora.alpha', { type: 'float32', value: alpha }],
  ];
  return encodeGguf(metadata, tensors);
}

/**
 * Writes {@link buildTinyLoraGguf}'s output to `path` (creating parent folders) and returns
 * `path`, ready for `llamaCppBackend({ modelPath, lora: path })`.
 *
 * @example
 * const modelPath = await writeTinyGguf(join(folder, 'tiny.gguf'));
 * const lora = await writeTinyLoraGguf(join(folder, 'tiny-lora.gguf'), { rank: 4 });
 * const backend = await llamaCppBackend({ modelPath, lora: [{ path: lora, scale: 0.5 }], threads: 1 });
 */
export async function writeTinyLoraGguf(path: string, options?: TinyLoraOptions): Promise<string> {
  return writeBytes(path, buildTinyLoraGguf(options));
}
