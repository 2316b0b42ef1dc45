import { CopyForgeError } from '../core/errors.js';
import { type CorpusSource, type RawItem, readCorpusSource, readRawItem } from './records.js';
import type { CorpusDocument } from './stage.js';
import { estimateTokens } from './text.js';

/** Mixing a generic corpus into the cleaned domain corpus. */
export interface MixOptions {
  /** The generic corpus (paths or records). It is assumed clean and is not filtered or deduplicated. */
  source: CorpusSource;
  /**
   * Share of the output that is generic, in (0, 1): 0.3 means 30% generic, 70% domain.
   * @example 0.3
   */
  ratio: number;
  /** Count the share in documents, or in tokens (one per CJK character or word). @default 'documents' */
  by?: 'documents' | 'tokens';
  /** Seed of the interleaving jitter; the same seed gives the same output. @default 0 */
  seed?: number;
  /** Name used in `source` of mixed-in documents (`generic:<name>`). @default 'generic' */
  name?: string;
}

/** The resumable state of a {@link Mixer}. */
export interface MixerState {
  /** Domain weight (documents or tokens) seen. */
  domain: number;
  /** Generic weight emitted. */
  generic: number;
  /** Generic records consumed. */
  consumed: number;
  /** PRNG state. */
  random: number;
  /** The jitter of the next decision, in [0, 1). */
  offset: number;
}

function nextRandom(state: MixerState): number {
  state.random = (state.random + 0x6d2b79f5) | 0;
  let t = state.random;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}

/**
 * Interleaves generic documents after domain documents so that generic weight tracks
 * ratio/(1 − ratio) × domain weight, off by less than one generic document at every
 * point. A seeded jitter decides where inside that tolerance each generic document lands.
 */
export class Mixer {
  readonly ratio: number;
  readonly by: 'documents' | 'tokens';
  readonly state: MixerState;
  /** True once the generic corpus ran out; the achieved share is then lower than asked. */
  exhausted = false;
  readonly #name: string;
  readonly #iterator: AsyncIterator<RawItem>;
  #peeked: { document: CorpusDocument; weight: number } | undefined;
  #readSinceEmit = 0;

  constructor(options: MixOptions, resumeFrom?: MixerState) {
    if (!(options.ratio > 0 && options.ratio < 1)) {
      throw new CopyForgeError('CF_INVALID_CONFIG', `'mix.ratio' must be in (0, 1), got ${options.ratio}.`, {
        issues: [{ path: '/mix/ratio', rule: 'range', message: "'/mix/ratio' must be in (0, 1)" }],
      });
    }
    this.ratio = options.ratio;
    this.by = options.by ?? 'documents';
    this.#name = options.name ?? 'generic';
    this.state = resumeFrom
      ? { ...resumeFrom }
      : { domain: 0, generic: 0, consumed: 0, random: (options.seed ?? 0) >>> 0, offset: 0 };
    if (!resumeFrom) this.state.offset = nextRandom(this.state);
    this.#iterator = readCorpusSource(options.source, this.#name)[Symbol.asyncIterator]();
  }

  /** Skips the generic records a resumed run already used. */
  async skipConsumed(): Promise<void> {
    for (let index = 0; index < this.state.consumed; index++) {
      if ((await this.#iterator.next()).done) break;
    }
  }

  #weight(text: string): number {
    return this.by === 'tokens' ? estimateTokens(text) : 1;
  }

  async #peek(): Promise<{ document: CorpusDocument; weight: number } | undefined> {
    while (!this.#peeked && !this.exhausted) {
      const next = await this.#iterator.next();
      if (next.done) {
        this.exhausted = true;
        break;
      }
      this.#readSinceEmit++;
      const document = readRawItem(next.value);
      if ('text' in document && document.text.trim() !== '') {
        this.#peeked = {
          document: { ...document, source: `generic:${this.#name}` },
          weight: this.#weight(document.text),
        };
      }
    }
    return this.#peeked;
  }

  /** Accounts for one kept domain document and returns the generic documents to emit after it. */
  async afterDomain(document: CorpusDocument): Promise<CorpusDocument[]> {
    this.state.domain += this.#weight(document.text);
    const target = (this.ratio / (1 - this.ratio)) * this.state.domain;
    const emitted: CorpusDocument[] = [];
    while (true) {
      const next = await this.#peek();
      if (!next) break;
      // Emit while the generic total plus a random part (offset ∈ [0, 1)) of the next one stays under the target.
      if (this.state.generic + next.weight * this.state.offset > target) break;
      emitted.push(next.document);
      this.state.generic += next.weight;
      this.state.consumed += this.#readSinceEmit;
      this.#readSinceEmit = 0;
      this.#peeked = undefined;
      this.state.offset = nextRandom(this.state);
    }
    return emitted;
  }

  /** The generic share achieved so far. */
  get achievedRatio(): number {
    const total = this.state.domain + this.state.generic;
    return total === 0 ? 0 : this.state.generic / total;
  }

  /** Stops reading the generic corpus. */
  async close(): Promise<void> {
    await this.#iterator.return?.();
  }
}
