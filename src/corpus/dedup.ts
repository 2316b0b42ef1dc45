import { HashSet64, hashString32 } from './hash.js';
import { LshIndex, lshThreshold, MinHasher, type MinHashOptions } from './minhash.js';

const whitespace = /\s+/g;

/** The text exact dedup compares: lower-cased, all whitespace removed. */
export function canonicalText(text: string): string {
  return text.toLowerCase().replace(whitespace, '');
}

/** A 64-bit key of the canonical text, as two 32-bit halves. */
export function exactKey(text: string): [number, number] {
  const canonical = canonicalText(text);
  return [hashString32(canonical, 0x9e3779b9), hashString32(canonical, 0x7f4a7c15)];
}

/**
 * Exact dedup on 64-bit hashes of normalised text. Memory: 13–27 bytes per distinct
 * document (a typed-array hash set), never the texts themselves.
 */
export class ExactDeduplicator {
  readonly #seen = new HashSet64(1 << 14);

  /** True when the key was seen before; otherwise remembers it and returns false. */
  isDuplicate(high: number, low: number): boolean {
    return !this.#seen.add(high, low);
  }

  /** Distinct keys held. */
  get size(): number {
    return this.#seen.size;
  }

  /** Bytes held. */
  get bytes(): number {
    return this.#seen.bytes;
  }
}

/**
 * Near-duplicate dedup: MinHash signatures in an LSH index. The first document of a
 * cluster is kept (the representative) and indexed; a later one sharing any band with an
 * indexed document is dropped and not indexed, so the index holds kept documents only.
 */
export class NearDeduplicator {
  readonly hasher: MinHasher;
  readonly #index: LshIndex;
  #kept = 0;

  constructor(options: MinHashOptions = {}) {
    this.hasher = new MinHasher(options);
    this.#index = new LshIndex(this.hasher.options.bands, this.hasher.options.rows);
  }

  /** The similarity at which a pair is caught half the time: (1/b)^(1/r). */
  get threshold(): number {
    return lshThreshold(this.hasher.options.bands, this.hasher.options.rows);
  }

  /**
   * Checks a signature (at `offset` in a packed array); returns the kept-document number
   * (≥ 1) it duplicates, or 0 after indexing it as a new representative.
   */
  check(signatures: Uint32Array, offset = 0): number {
    const found = this.#index.query(signatures, offset, true, this.#kept + 1);
    if (found === 0) this.#kept++;
    return found;
  }

  /** Representatives indexed. */
  get size(): number {
    return this.#kept;
  }

  /** Bytes held by the index. */
  get bytes(): number {
    return this.#index.bytes;
  }
}
