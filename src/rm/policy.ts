import { CopyForgeError } from '../core/errors.js';
import type { RewardScore, ScoredCreative } from '../schemas/types.js';
import type { RewardModelRoleV1 } from '../spec/reward-model-v1.js';
import { characterNgrams, jaccard } from './text.js';

/** How scored creatives are accepted and ordered. */
export interface PolicyOptions {
  /**
   * Reward models whose `fail` rejects a creative. @default every model with role `veto`
   * @example ['usability', 'compliance']
   */
  vetoModels?: readonly string[];
  /**
   * Minimum score per veto model; below it the creative is rejected even on `pass`.
   * @example { usability: 0.6 }
   */
  thresholds?: Readonly<Record<string, number>>;
  /** How a veto model's `unknown` verdict (it failed or timed out) counts. @default 'pass' */
  unknownVerdict?: 'pass' | 'fail';
  /** Reward models whose scores order accepted creatives. @default every model with role `rank` */
  rankModels?: readonly string[];
  /** Weight of each rank model in the relevance score. @default 1 each */
  rankWeights?: Readonly<Record<string, number>>;
  /** Most creatives to accept per note. @default Infinity */
  topK?: number;
  /**
   * MMR trade-off: 1 ranks by relevance only, 0 by novelty only.
   * @default 0.7
   * @example 0.5
   */
  diversityLambda?: number;
  /** Character n-gram size of the similarity used for diversity. @default 2 */
  ngramSize?: number;
  /**
   * Role of each reward model, when not known from registration.
   * @default usability: veto, attractiveness: rank, others: custom
   */
  roles?: Readonly<Record<string, RewardModelRoleV1>>;
}

const builtInRoles: Record<string, RewardModelRoleV1> = { usability: 'veto', attractiveness: 'rank' };

function checkOptions(options: PolicyOptions): void {
  const lambda = options.diversityLambda;
  if (lambda !== undefined && !(lambda >= 0 && lambda <= 1)) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'diversityLambda' must be in [0, 1], got ${lambda}.`, {
      issues: [{ path: '/diversityLambda', rule: 'range', message: "'/diversityLambda' must be in [0, 1]" }],
    });
  }
  const topK = options.topK;
  if (topK !== undefined && !(topK >= 0 && (Number.isInteger(topK) || topK === Number.POSITIVE_INFINITY))) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'topK' must be a non-negative integer, got ${topK}.`, {
      issues: [{ path: '/topK', rule: 'type', message: "'/topK' must be a non-negative integer" }],
    });
  }
}

function isVetoed(scores: readonly RewardScore[], vetoModels: ReadonlySet<string>, options: PolicyOptions): boolean {
  return scores.some((score) => {
    if (!vetoModels.has(score.rewardModel)) return false;
    if (score.verdict === 'unknown') return (options.unknownVerdict ?? 'pass') === 'fail';
    if (score.verdict === 'fail') return true;
    const threshold = options.thresholds?.[score.rewardModel];
    return threshold !== undefined && score.score < threshold;
  });
}

function relevance(scores: readonly RewardScore[], rankModels: ReadonlySet<string>, options: PolicyOptions): number {
  const mean = (selected: RewardScore[], weighted: boolean): number | undefined => {
    let total = 0;
    let weights = 0;
    for (const score of selected) {
      const weight = weighted ? (options.rankWeights?.[score.rewardModel] ?? 1) : 1;
      total += weight * score.score;
      weights += weight;
    }
    return weights > 0 ? total / weights : undefined;
  };
  const known = scores.filter((score) => score.verdict !== 'unknown');
  return (
    mean(
      known.filter((score) => rankModels.has(score.rewardModel)),
      true,
    ) ??
    // No ranking model answered: fall back to the other models' scores.
    mean(known, false) ??
    0
  );
}

/**
 * Applies the acceptance policy to one note's scored creatives: veto models reject,
 * rank models order, and top-K selection uses maximal marginal relevance (MMR) over
 * character n-gram similarity so near-duplicate titles do not crowd the top. Returns a
 * new array, sorted: accepted creatives in selection order, then the other passing
 * ones by relevance, then vetoed ones; `rank` numbers them all from 1.
 *
 * @example
 * const ranked = applyPolicy(scored, { topK: 3, diversityLambda: 0.7 });
 */
export function applyPolicy(scored: readonly ScoredCreative[], options: PolicyOptions = {}): ScoredCreative[] {
  checkOptions(options);
  const names = new Set(scored.flatMap((item) => item.scores.map((score) => score.rewardModel)));
  const roleOf = (name: string) => options.roles?.[name] ?? builtInRoles[name] ?? 'custom';
  const vetoModels = new Set(options.vetoModels ?? [...names].filter((name) => roleOf(name) === 'veto'));
  const rankModels = new Set(options.rankModels ?? [...names].filter((name) => roleOf(name) === 'rank'));
  const lambda = options.diversityLambda ?? 0.7;
  const topK = options.topK ?? Number.POSITIVE_INFINITY;

  const items = scored.map((item, index) => ({
    item,
    index,
    vetoed: isVetoed(item.scores, vetoModels, options),
    relevance: relevance(item.scores, rankModels, options),
    grams: characterNgrams(item.creative.title, options.ngramSize ?? 2),
  }));
  const byRelevance = (left: (typeof items)[number], right: (typeof items)[number]) =>
    right.relevance - left.relevance || left.index - right.index;
  const remaining = items.filter((entry) => !entry.vetoed).sort(byRelevance);
  const selected: typeof items = [];
  while (selected.length < topK && remaining.length > 0) {
    let bestPosition = 0;
    let bestValue = Number.NEGATIVE_INFINITY;
    remaining.forEach((entry, position) => {
      let maximumSimilarity = 0;
      for (const chosen of selected)
        maximumSimilarity = Math.max(maximumSimilarity, jaccard(entry.grams, chosen.grams));
      const value = lambda * entry.relevance - (1 - lambda) * maximumSimilarity;
      if (value > bestValue) {
        bestValue = value;
        bestPosition = position;
      }
    });
    selected.push(...remaining.splice(bestPosition, 1));
  }
  const vetoed = items.filter((entry) => entry.vetoed).sort(byRelevance);
  const ordered = [
    ...selected.map((entry) => ({ entry, accepted: true })),
    ...remaining.map((entry) => ({ entry, accepted: false })),
    ...vetoed.map((entry) => ({ entry, accepted: false })),
  ];
  return ordered.map(({ entry, accepted }, position) => ({
    ...entry.item,
    accepted,
    rank: position + 1,
  }));
}
