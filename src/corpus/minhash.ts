import { combineHash32, fmix32 } from './hash.js';
import { textUnits } from './text.js';

/** How texts are cut into shingles and how the LSH index is banded. */
export interface MinHashOptions {
  /**
   * Bands of the LSH index. More bands lower the threshold. 20 × 5 (≈ 0.55) caught 99.8% of
   * planted note duplicates at precision 1.000 where datatrove's 14 × 8 (≈ 0.72) caught 91%
   * (bench/results/cleaning.md).
   * @default 20
   */
  bands?: number;
  /** Rows (hash values) per band. More rows sharpen and raise the threshold. @default 5 */
  rows?: number;
  /**
   * Characters per shingle for CJK text (a text whose units are at least half CJK characters).
   * Short notes need short shingles: one edited character changes n shingles of a 60-character note.
   * @default 3
   */
  cjkShingleSize?: number;
  /** Words per shingle for Latin-script text. @default 5 */
  latinShingleSize?: number;
  /** Seed of the hash family; the same seed gives the same signatures. @default 1 */
  seed?: number;
}

/** Resolved {@link MinHashOptions}. */
export type ResolvedMinHashOptions = Required<MinHashOptions>;

/** Defaults of {@link MinHashOptions}. */
export const defaultMinHashOptions: ResolvedMinHashOptions = Object.freeze({
  bands: 20,
  rows: 5,
  cjkShingleSize: 3,
  latinShingleSize: 5,
  seed: 1,
});

/**
 * The Jaccard similarity near which a pair becomes a candidate: (1/b)^(1/r).
 * 14 × 8 gives 0.72, 20 × 5 (our default) 0.55.
 */
export function lshThreshold(bands: number, rows: number): number {
  return (1 / bands) ** (1 / rows);
}

/** Probability that two texts with Jaccard similarity `similarity` share at least one band: 1 − (1 − s^r)^b. */
export function lshCandidateProbability(similarity: number, bands: number, rows: number): number {
  return 1 - (1 - similarity ** rows) ** bands;
}

/** Shingle hashes of a text, plus whether the CJK (character) or Latin (word) scheme was used. */
export interface Shingles {
  /** Distinct-or-not shingle hashes (duplicates do not change a MinHash). */
  hashes: Uint32Array;
  /** `cjk`: character n-grams; `latin`: word n-grams. */
  scheme: 'cjk' | 'latin';
}

/**
 * Shingles a text. CJK-dominant text gives character n-grams (`cjkShingleSize`),
 * other text gives word n-grams (`latinShingleSize`). Punctuation, spaces and case
 * are ignored. A text shorter than n units gives one shingle of all its units.
 *
 * @example
 * shingleText('今天天气很好', { cjkShingleSize: 2 }).hashes.length; // 5
 */
export function shingleText(text: string, options: MinHashOptions = {}): Shingles {
  const units = textUnits(text);
  const scheme = units.count > 0 && units.cjk * 2 >= units.count ? 'cjk' : 'latin';
  const size =
    scheme === 'cjk'
      ? (options.cjkShingleSize ?? defaultMinHashOptions.cjkShingleSize)
      : (options.latinShingleSize ?? defaultMinHashOptions.latinShingleSize);
  if (units.count === 0) return { hashes: new Uint32Array(0), scheme };
  const width = Math.min(size, units.count);
  const total = units.count - width + 1;
  const hashes = new Uint32Array(total);
  for (let start = 0; start < total; start++) {
    let h = 0x2545f491 ^ width;
    for (let offset = 0; offset < width; offset++) h = combineHash32(h, units.hashes[start + offset]!);
    hashes[start] = fmix32(h);
  }
  return { hashes, scheme };
}

/** Per-permutation seeds derived from one seed. */
function permutationSeeds(count: number, seed: number): Uint32Array {
  const seeds = new Uint32Array(count);
  for (let index = 0; index < count; index++)
    seeds[index] = fmix32(Math.imul(seed + 1, 0x9e3779b1) + index * 0x7f4a7c15);
  return seeds;
}

/**
 * Computes MinHash signatures: for each of `bands × rows` permutations
 * x → xorshift16(imul(x ^ seedᵢ, 0x9e3779b1)) (a bijection on 32-bit values), the
 * minimum over the shingles.
 */
export class MinHasher {
  readonly options: ResolvedMinHashOptions;
  readonly #seeds: Uint32Array;

  constructor(options: MinHashOptions = {}) {
    this.options = { ...defaultMinHashOptions, ...options };
    this.#seeds = permutationSeeds(this.options.bands * this.options.rows, this.options.seed);
  }

  /** Signature length: bands × rows. */
  get length(): number {
    return this.#seeds.length;
  }

  /** Signature of a text, written into `target` when given (for packed batches). */
  signText(text: string, target?: Uint32Array): Uint32Array {
    return this.signShingles(shingleText(text, this.options).hashes, target);
  }

  /** Signature of precomputed shingle hashes. An empty text signs as all 0xFFFFFFFF. */
  signShingles(shingles: Uint32Array, target?: Uint32Array): Uint32Array {
    const seeds = this.#seeds;
    const signature = target ?? new Uint32Array(seeds.length);
    signature.fill(0xffffffff);
    for (let permutation = 0; permutation < seeds.length; permutation++) {
      const seed = seeds[permutation]!;
      let minimum = 0xffffffff;
      for (let index = 0; index < shingles.length; index++) {
        // x → xorshift(imul(x ^ seed, odd)): a cheap bijection; shingles are already well mixed.
        let value = Math.imul(shingles[index]! ^ seed, 0x9e3779b1);
        value = (value ^ (value >>> 16)) >>> 0;
        if (value < minimum) minimum = value;
      }
      signature[permutation] = minimum;
    }
    return signature;
  }
}

/** Fraction of equal positions: an unbiased estimate of the Jaccard similarity. */
export function estimateJaccard(left: Uint32Array, right: Uint32Array): number {
  const length = Math.min(left.length, right.length);
  if (length === 0) return 0;
  let equal = 0;
  for (let index = 0; index < length; index++) if (left[index] === right[index]) equal++;
  return equal / length;
}

/**
 * An online LSH index over MinHash signatures. Each band's rows hash to a 64-bit key
 * (two 32-bit hashes: a 32-bit key would collide falsely ~N/2³² per band), stored in one
 * open-addressing table with the number of the document that first claimed it.
 * Memory: 12 bytes a slot, load ≤ 0.6, `bands` slots per indexed document.
 */
export class LshIndex {
  readonly bands: number;
  readonly rows: number;
  #high: Uint32Array;
  #low: Uint32Array;
  #values: Uint32Array;
  #size = 0;
  #documents = 0;
  readonly #keyHigh: Uint32Array;
  readonly #keyLow: Uint32Array;

  constructor(bands: number, rows: number, initialCapacity = 1 << 14) {
    this.bands = bands;
    this.rows = rows;
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#values = new Uint32Array(capacity);
    this.#keyHigh = new Uint32Array(bands);
    this.#keyLow = new Uint32Array(bands);
  }

  /** Documents indexed. */
  get documents(): number {
    return this.#documents;
  }

  /** Bytes held by the table. */
  get bytes(): number {
    return this.#high.byteLength + this.#low.byteLength + this.#values.byteLength;
  }

  #bandKeys(signature: Uint32Array, offset: number): void {
    const rows = this.rows;
    for (let band = 0; band < this.bands; band++) {
      let high = 0x3c6ef372 ^ band;
      let low = 0x1b873593 + band * 0x61c88647;
      const start = offset + band * rows;
      for (let row = 0; row < rows; row++) {
        const value = signature[start + row]!;
        high = combineHash32(high, value);
        low = combineHash32(low, value ^ 0xa5a5a5a5);
      }
      this.#keyHigh[band] = fmix32(high ^ band);
      this.#keyLow[band] = fmix32(low);
    }
  }

  /**
   * Looks the signature up; returns the number (≥ 1) of an indexed document sharing a
   * band with it, or 0 when none does. With `insert`, a document that matched nothing
   * is added under `documentNumber`.
   */
  query(signature: Uint32Array, offset = 0, insert = false, documentNumber = 0): number {
    this.#bandKeys(signature, offset);
    for (let band = 0; band < this.bands; band++) {
      const found = this.#find(this.#keyHigh[band]!, this.#keyLow[band]!);
      if (found !== 0) return found;
    }
    if (insert) {
      if (documentNumber < 1) throw new RangeError('documentNumber must be ≥ 1.');
      if ((this.#size + this.bands) / this.#values.length > 0.6) this.#grow();
      for (let band = 0; band < this.bands; band++) {
        if (this.#put(this.#keyHigh[band]!, this.#keyLow[band]!, documentNumber)) this.#size++;
      }
      this.#documents++;
    }
    return 0;
  }

  #find(high: number, low: number): number {
    const mask = this.#values.length - 1;
    let slot = (high ^ Math.imul(low, 0x9e3779b1)) & mask;
    while (this.#values[slot] !== 0) {
      if (this.#high[slot] === high && this.#low[slot] === low) return this.#values[slot]!;
      slot = (slot + 1) & mask;
    }
    return 0;
  }

  #put(high: number, low: number, value: number): boolean {
    const mask = this.#values.length - 1;
    let slot = (high ^ Math.imul(low, 0x9e3779b1)) & mask;
    while (this.#values[slot] !== 0) {
      if (this.#high[slot] === high && this.#low[slot] === low) return false;
      slot = (slot + 1) & mask;
    }
    this.#high[slot] = high;
    this.#low[slot] = low;
    this.#values[slot] = value;
    return true;
  }

  #grow(): void {
    const high = this.#high;
    const low = this.#low;
    const values = this.#values;
    let capacity = values.length * 2;
    while ((this.#size + this.bands) / capacity > 0.6) capacity *= 2;
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#values = new Uint32Array(capacity);
    for (let slot = 0; slot < values.length; slot++) {
      if (values[slot] !== 0) this.#put(high[slot]!, low[slot]!, values[slot]!);
    }
  }
}
