import { parseModelJson } from '../core/json-keys.js';
import type { Note } from '../schemas/types.js';
import type { LabelAgreement } from './cache.js';
import { checkGrounding, normaliseForGrounding } from './grounding.js';
import type { LabelsOutput } from './prompts/labels-v1.js';
import { maxPromotionTargetLength } from './prompts/labels-v1.js';
import { type LabelTaxonomy, type ReachTier, reachTiers } from './taxonomy.js';

/**
 * Parses and checks one sampled answer against the taxonomy. Grammar-constrained
 * backends always pass; HTTP backends without grammar support may not. Checked by hand
 * because the schema differs per title count and taxonomy (compiling each would grow
 * ajv's cache forever).
 */
export function parseLabelsOutput(text: string, taxonomy: LabelTaxonomy, titleCount: number): LabelsOutput | undefined {
  const parsed = parseModelJson(text);
  if (!parsed.ok) return undefined;
  const output = parsed.value as Partial<LabelsOutput> | null;
  if (typeof output !== 'object' || output === null || Array.isArray(output)) return undefined;
  const target = typeof output.promotionTarget === 'string' ? output.promotionTarget.trim() : '';
  if (target === '' || [...target].length > maxPromotionTargetLength) return undefined;
  if (!taxonomy.audienceTiers.includes(output.audienceTier as string)) return undefined;
  if (!reachTiers.includes(output.reachTier as ReachTier)) return undefined;
  const styleIds = taxonomy.styles.map((style) => style.id);
  const count = Math.max(1, titleCount);
  if (!Array.isArray(output.styles) || output.styles.length !== count) return undefined;
  if (!output.styles.every((style) => styleIds.includes(style))) return undefined;
  return {
    promotionTarget: target,
    audienceTier: output.audienceTier as string,
    reachTier: output.reachTier as ReachTier,
    styles: [...output.styles],
  };
}

/** The plurality value and how many chose it; ties go to the earliest `prefer`red, then the earliest seen. */
function plurality<T>(values: readonly T[], keyOf: (value: T) => string, prefer?: (value: T) => boolean) {
  const groups = new Map<string, { value: T; count: number; first: number }>();
  values.forEach((value, index) => {
    const key = keyOf(value);
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { value, count: 1, first: index });
  });
  let best: { value: T; count: number; first: number } | undefined;
  for (const group of groups.values()) {
    if (
      !best ||
      group.count > best.count ||
      (group.count === best.count && prefer && prefer(group.value) && !prefer(best.value))
    ) {
      best = group;
    }
  }
  return best as { value: T; count: number };
}

/** The voted answer of k samples. */
export interface VoteResult {
  output: LabelsOutput;
  /** Each dimension's winner share of the votes *requested* (invalid votes count against it). */
  agreement: LabelAgreement;
}

/**
 * Majority vote over sampled answers (self-consistency). Promotion targets are compared
 * after normalisation (`SPF50+` = `spf 50+`); among tied targets a grounded one wins, and
 * the surface form kept is the one found verbatim in the note when there is one.
 */
export function voteLabels(outputs: readonly LabelsOutput[], requested: number, note: Note): VoteResult {
  const denominator = Math.max(requested, outputs.length, 1);
  const targetKey = (target: string) => normaliseForGrounding(target) || target;
  const grounded = (target: string) => checkGrounding(target, note).grounded;
  const target = plurality(
    outputs.map((output) => output.promotionTarget),
    targetKey,
    grounded,
  );
  // Among the spellings of the winning target, prefer the one the note uses verbatim.
  const spellings = outputs
    .map((output) => output.promotionTarget)
    .filter((candidate) => targetKey(candidate) === targetKey(target.value));
  const promotionTarget =
    spellings.find((candidate) => checkGrounding(candidate, note).method === 'exact') ?? target.value;
  const audience = plurality(
    outputs.map((output) => output.audienceTier),
    (value) => value,
  );
  const reach = plurality(
    outputs.map((output) => output.reachTier),
    (value) => value,
  );
  const styleCount = outputs[0]?.styles.length ?? 0;
  const styles: string[] = [];
  let styleAgreement = 0;
  for (let position = 0; position < styleCount; position++) {
    const winner = plurality(
      outputs.map((output) => output.styles[position] as string),
      (value) => value,
    );
    styles.push(winner.value);
    styleAgreement += winner.count / denominator;
  }
  return {
    output: { promotionTarget, audienceTier: audience.value, reachTier: reach.value, styles },
    agreement: {
      promotionTarget: target.count / denominator,
      audienceTier: audience.count / denominator,
      reachTier: reach.count / denominator,
      styles: styleCount === 0 ? 0 : styleAgreement / styleCount,
    },
  };
}

/**
 * The confidence of a voted label: the agreement of its weakest dimension, since a label
 * is only as trustworthy as its least agreed part.
 */
export function confidenceOf(agreement: LabelAgreement): number {
  return Math.min(agreement.promotionTarget, agreement.audienceTier, agreement.reachTier, agreement.styles);
}
