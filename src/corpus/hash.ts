// 32-bit hashing on plain numbers (Math.imul), no BigInt: fast in V8 and exact.

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** The murmur3 finaliser: a bijection on 32-bit integers with full avalanche. */
export function fmix32(value: number): number {
  let h = value | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * murmur3-32 over the UTF-16 code units of `text[start, end)`, two units per block.
 * Hashing a range avoids allocating substrings.
 */
export function hashRange32(text: string, start: number, end: number, seed: number): number {
  let h = seed | 0;
  let index = start;
  for (; index + 1 < end; index += 2) {
    let k = text.charCodeAt(index) | (text.charCodeAt(index + 1) << 16);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  if (index < end) {
    let k = text.charCodeAt(index);
    k = Math.imul(k, C1);
    k = (k << 15) | (k >>> 17);
    k = Math.imul(k, C2);
    h ^= k;
  }
  h ^= (end - start) * 2;
  return fmix32(h);
}

/** murmur3-32 of a whole string. */
export function hashString32(text: string, seed = 0): number {
  return hashRange32(text, 0, text.length, seed);
}

/** Folds `value` into the running hash `h` (order-sensitive). */
export function combineHash32(h: number, value: number): number {
  let k = Math.imul(value, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  let next = h ^ k;
  next = (next << 13) | (next >>> 19);
  return (Math.imul(next, 5) + 0xe6546b64) | 0;
}

/** A seeded pseudo-random generator (mulberry32); see src/core/random.ts. */
export { createSeededRandom as createRandom } from '../core/random.js';

/**
 * A growable open-addressing set of 64-bit keys given as two 32-bit halves.
 * 8 bytes a slot, load kept at or under 0.6: about 13–27 bytes per key.
 */
export class HashSet64 {
  #high: Uint32Array;
  #low: Uint32Array;
  #used: Uint8Array;
  #size = 0;

  constructor(initialCapacity = 1024) {
    let capacity = 16;
    while (capacity < initialCapacity) capacity *= 2;
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#used = new Uint8Array(capacity);
  }

  /** Number of keys held. */
  get size(): number {
    return this.#size;
  }

  /** Bytes held by the backing arrays. */
  get bytes(): number {
    return this.#high.byteLength + this.#low.byteLength + this.#used.byteLength;
  }

  /** Adds the key; returns false when it was already there. */
  add(high: number, low: number): boolean {
    if ((this.#size + 1) / this.#used.length > 0.6) this.#grow();
    const inserted = this.#insert(high >>> 0, low >>> 0);
    if (inserted) this.#size++;
    return inserted;
  }

  /** Whether the key is present. */
  has(high: number, low: number): boolean {
    const mask = this.#used.length - 1;
    let slot = fmix32(high ^ Math.imul(low, 0x9e3779b1)) & mask;
    const h = high >>> 0;
    const l = low >>> 0;
    while (this.#used[slot] === 1) {
      if (this.#high[slot] === h && this.#low[slot] === l) return true;
      slot = (slot + 1) & mask;
    }
    return false;
  }

  #insert(high: number, low: number): boolean {
    const mask = this.#used.length - 1;
    let slot = fmix32(high ^ Math.imul(low, 0x9e3779b1)) & mask;
    while (this.#used[slot] === 1) {
      if (this.#high[slot] === high && this.#low[slot] === low) return false;
      slot = (slot + 1) & mask;
    }
    this.#used[slot] = 1;
    this.#high[slot] = high;
    this.#low[slot] = low;
    return true;
  }

  #grow(): void {
    const high = this.#high;
    const low = this.#low;
    const used = this.#used;
    const capacity = used.length * 2;
    this.#high = new Uint32Array(capacity);
    this.#low = new Uint32Array(capacity);
    this.#used = new Uint8Array(capacity);
    for (let slot = 0; slot < used.length; slot++) {
      if (used[slot] === 1) this.#insert(high[slot]!, low[slot]!);
    }
  }
}
