/**
 * A small seeded pseudo-random generator (mulberry32), shared by cleaning (mixing),
 * reward-model training, evaluation (baselines, bootstrap) and tests: equal seeds give
 * equal sequences on every machine. Not for cryptography.
 */

/** A function returning uniform numbers in [0, 1). */
export type RandomSource = () => number;

/**
 * Creates a seeded generator. Equal seeds give equal sequences.
 *
 * @example
 * const random = createSeededRandom(42);
 * random(); // 0.6011037519201636, always
 */
export function createSeededRandom(seed: number): RandomSource {
  let state = Math.trunc(seed) >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** A uniform integer in [0, limit). */
export function randomInteger(random: RandomSource, limit: number): number {
  return Math.min(limit - 1, Math.floor(random() * limit));
}

/** A shuffled copy of `items` (Fisher–Yates). */
export function shuffled<T>(items: readonly T[], random: RandomSource): T[] {
  const copy = [...items];
  for (let index = copy.length - 1; index > 0; index--) {
    const other = randomInteger(random, index + 1);
    [copy[index], copy[other]] = [copy[other] as T, copy[index] as T];
  }
  return copy;
}
