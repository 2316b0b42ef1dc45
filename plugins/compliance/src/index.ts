// An advertising-law compliance reward model, written only against CopyForge's public
// spec as any third party would: types come from 'copyforge', and there is no runtime
// dependency at all.

import type {
  PluginV1,
  RewardCandidateV1,
  RewardContextV1,
  RewardModelV1,
  RewardReasonV1,
  RewardScoreV1,
} from 'copyforge';

/** The rule families this plugin checks. */
export type ComplianceCategory = 'absolute' | 'medical' | 'financial';

/** Config of the `compliance` reward model, validated by the host against {@link complianceConfigSchema}. */
export interface ComplianceConfig {
  /**
   * Rule families to check. @default ['absolute', 'medical', 'financial']
   * @example ['absolute']
   */
  categories?: ComplianceCategory[];
  /**
   * Extra forbidden words or phrases, matched case-insensitively.
   * @example ['秒杀全网', 'miracle']
   */
  extraTerms?: string[];
  /**
   * Phrases that are allowed even though they contain a forbidden term; a match inside
   * one of them is ignored. @default [] (built-in exceptions such as 最近 and 第一天 always apply)
   * @example ['最新款']
   */
  allowedPhrases?: string[];
  /** Score lost per violation; the score is 1 minus this per match, floored at 0. @default 0.5 */
  penalty?: number;
}

/** JSON Schema of {@link ComplianceConfig}. */
export const complianceConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    categories: {
      type: 'array',
      items: { enum: ['absolute', 'medical', 'financial'] },
      uniqueItems: true,
    },
    extraTerms: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1000 },
    allowedPhrases: { type: 'array', items: { type: 'string', minLength: 1 }, maxItems: 1000 },
    penalty: { type: 'number', exclusiveMinimum: 0, maximum: 1 },
  },
} as const;

interface Rule {
  category: ComplianceCategory;
  code: string;
  pattern: RegExp;
  message: string;
}

// Chinese advertising law (广告法 art. 9 and 17, 28) forbids superlatives such as 最佳,
// 第一 and 国家级, efficacy claims for non-drugs, and promises of returns.
const rules: Rule[] = [
  {
    category: 'absolute',
    code: 'absolute-term',
    // 最 + anything except time words (最近, 最后...); 第一 except ordinals (第一天, 第一次...).
    pattern:
      /最(?![近后初终早])[\p{Script=Han}]{1,2}|第一(?![天次步周个双件口篇眼年月晚站])|国家级|世界级|顶级|唯一|首选|首个|极致|万能|绝对|永久|全网\p{Script=Han}{0,2}第一|100\s?%|百分之百/gu,
    message: 'Absolute terms (最, 第一, 国家级, 顶级, 唯一, 100%...) are forbidden in ads.',
  },
  {
    category: 'absolute',
    code: 'absolute-term',
    pattern: /\b(best|no\.?\s?1|number one|world'?s first|unbeatable|ultimate)\b|#1\b|\bguarantee[ds]?\b/giu,
    message: 'Absolute claims ("best", "No.1", "#1", "guaranteed"...) are not allowed in ads.',
  },
  {
    category: 'medical',
    code: 'medical-claim',
    pattern:
      /治愈|根治|药到病除|包治|疗效|治疗|抗癌|防癌|消炎|杀菌率|降血压|降血糖|\b(cures?|cured|heals?|treats?|remed(y|ies)|prevents? cancer)\b/giu,
    message: 'Medical efficacy claims are only allowed for approved drugs and devices.',
  },
  {
    category: 'financial',
    code: 'guaranteed-return',
    pattern:
      /稳赚|保本|包赚|零风险|无风险|稳赚不赔|保收益|躺赚|\b(risk[- ]free|no risk|guaranteed (returns?|income|profit)|can'?t lose)\b/giu,
    message: 'Promises of guaranteed returns or no risk are forbidden in financial ads.',
  },
];

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/gu, '\\$&');
}

function findViolations(title: string, config: ComplianceConfig): RewardReasonV1[] {
  const enabled = new Set(config.categories ?? ['absolute', 'medical', 'financial']);
  const active = rules.filter((rule) => enabled.has(rule.category));
  if (config.extraTerms && config.extraTerms.length > 0) {
    active.push({
      category: 'absolute',
      code: 'custom-term',
      pattern: new RegExp(config.extraTerms.map(escapeRegExp).join('|'), 'giu'),
      message: 'This term is on the configured forbidden list.',
    });
  }
  const allowed = (config.allowedPhrases ?? []).map((phrase) => phrase.toLowerCase());
  const lower = title.toLowerCase();
  const reasons: RewardReasonV1[] = [];
  for (const rule of active) {
    for (const match of title.matchAll(rule.pattern)) {
      const start = match.index;
      const end = start + match[0].length;
      const insideAllowed = allowed.some((phrase) => {
        let at = lower.indexOf(phrase);
        while (at >= 0) {
          if (at <= start && end <= at + phrase.length) return true;
          at = lower.indexOf(phrase, at + 1);
        }
        return false;
      });
      if (!insideAllowed)
        reasons.push({ code: rule.code, message: `${rule.message} Found '${match[0]}'.`, span: match[0] });
    }
  }
  return reasons;
}

/** Scores titles for compliance: `fail` on any violation, with the offending spans quoted. */
export function checkCompliance(title: string, config: ComplianceConfig = {}): RewardScoreV1 {
  const reasons = findViolations(title, config);
  const penalty = config.penalty ?? 0.5;
  return {
    score: Math.max(0, 1 - penalty * reasons.length),
    verdict: reasons.length === 0 ? 'pass' : 'fail',
    reasons,
  };
}

/** The `compliance` reward model (role `veto`). */
export const complianceRewardModel: RewardModelV1<ComplianceConfig> = {
  specificationVersion: 'v1',
  name: 'compliance',
  version: '0.1.0',
  role: 'veto',
  configSchema: complianceConfigSchema,
  async scoreBatch(candidates: readonly RewardCandidateV1[], context: RewardContextV1<ComplianceConfig>) {
    return candidates.map((candidate) => checkCompliance(candidate.title, context.config));
  },
};

/**
 * The plugin: register it with `createRewardModelHost({ rewardModels: ['@copyforge/plugin-compliance'] })`
 * or pass the object itself.
 */
export const plugin: PluginV1 = {
  specificationVersion: 'v1',
  name: '@copyforge/plugin-compliance',
  version: '0.1.0',
  copyforge: '^0.1.0',
  rewardModels: [complianceRewardModel as RewardModelV1],
};

export default plugin;
