import type { Note } from '../schemas/types.js';
import type { ModelBackendV1 } from './model-backend-v1.js';
import type { JsonSchemaV1 } from './shared-v1.js';

/**
 * A reward model scores candidate titles. The host validates its config against
 * `configSchema`, enforces a timeout, and turns throws or malformed returns into
 * verdict `unknown`, so one plugin never takes the pipeline down.
 */
export interface RewardModelV1<Config = Record<string, unknown>> {
  /** Contract version; the host rejects versions it does not know. */
  readonly specificationVersion: 'v1';
  /** Unique name, e.g. `usability` or `acme-brand-safety`. */
  readonly name: string;
  /** Version of this reward model (semver), recorded with every score. */
  readonly version: string;
  /** The part it plays in the acceptance policy. @default 'custom' */
  readonly role?: RewardModelRoleV1;
  /** JSON Schema of `config`; the host validates config before the first call. */
  readonly configSchema: JsonSchemaV1;
  /**
   * Scores a batch of candidates for one note. Must return one entry per candidate,
   * in the same order.
   */
  scoreBatch(candidates: readonly RewardCandidateV1[], context: RewardContextV1<Config>): Promise<RewardScoreV1[]>;
}

/**
 * `veto`: a `fail` rejects the candidate (usability, compliance); `rank`: the score
 * orders accepted candidates (attractiveness); `custom`: recorded only.
 */
export type RewardModelRoleV1 = 'veto' | 'rank' | 'custom';

/** A title to score. */
export interface RewardCandidateV1 {
  /** The creative id. */
  id: string;
  /** The title text. */
  title: string;
  /** Its style from the taxonomy, when known. */
  style?: string;
  /** The promotion target it should mention, when known. */
  promotionTarget?: string;
}

/** What a reward model may use while scoring. */
export interface RewardContextV1<Config> {
  /** The note the candidates were written for. */
  note: Note;
  /** Validated, frozen config. */
  config: Config;
  /** The pipeline's model backend, for models that need fluency or embeddings. */
  backend?: ModelBackendV1;
  /** Fires when the host's timeout elapses or the caller cancels; stop work then. */
  signal: AbortSignal;
}

/** One candidate's score. */
export interface RewardScoreV1 {
  /** Normalised score in [0, 1]; higher is better. */
  score: number;
  /** The model's decision. */
  verdict: 'pass' | 'fail' | 'unknown';
  /** Why, for people and for audits; may be empty. */
  reasons: RewardReasonV1[];
}

/** One reason behind a score. */
export interface RewardReasonV1 {
  /** Machine-readable reason, e.g. `entity-mismatch`. */
  code: string;
  /** Readable explanation. */
  message: string;
  /** The offending text quoted from the title, when there is one. */
  span?: string;
}
