import { CopyForgeError } from '../core/errors.js';
import { defaultAudienceTiers, defaultTitleStyles, type TitleStyle } from '../generation/styles.js';

/** How wide the audience of a note is, independent of who they are. */
export type ReachTier = 'broad' | 'interest' | 'niche';

/** The reach tiers, widest first. */
export const reachTiers: readonly ReachTier[] = ['broad', 'interest', 'niche'];

/**
 * The label space of the labeller. Generation and labelling share it: styles and audience
 * tiers default to the forge's own lists, so a label can be fed back as a generation control.
 */
export interface LabelTaxonomy {
  /** Title styles. @default defaultTitleStyles (the forge's taxonomy) */
  styles: readonly TitleStyle[];
  /** Audience tiers (segments). @default defaultAudienceTiers (the forge's list) */
  audienceTiers: readonly string[];
}

/** The default taxonomy: exactly what `createForge` uses by default. */
export const defaultLabelTaxonomy: LabelTaxonomy = Object.freeze({
  styles: defaultTitleStyles,
  audienceTiers: defaultAudienceTiers,
});

const idPattern = /^[a-z0-9][a-z0-9-]{0,31}$/u;

/**
 * Fills defaults and checks a taxonomy: at least one style and one tier, ids of 1–32
 * lower-case letters, digits or dashes, no duplicates. Throws `CF_INVALID_CONFIG`.
 */
export function resolveTaxonomy(taxonomy: Partial<LabelTaxonomy> = {}): LabelTaxonomy {
  const styles = taxonomy.styles ?? defaultLabelTaxonomy.styles;
  const audienceTiers = taxonomy.audienceTiers ?? defaultLabelTaxonomy.audienceTiers;
  const check = (field: string, ids: readonly string[]) => {
    if (ids.length === 0) {
      throw new CopyForgeError('CF_INVALID_CONFIG', `'taxonomy.${field}' must not be empty.`, {
        issues: [{ path: `/taxonomy/${field}`, rule: 'minItems', message: `'/taxonomy/${field}' must not be empty` }],
      });
    }
    ids.forEach((id, index) => {
      if (!idPattern.test(id) || ids.indexOf(id) !== index) {
        const path = `/taxonomy/${field}/${index}`;
        throw new CopyForgeError(
          'CF_INVALID_CONFIG',
          `'${path}' is '${id}': ids are 1-32 lower-case letters, digits or dashes, each used once.`,
          { issues: [{ path, rule: 'pattern', message: `'${path}' must be a unique lower-case id` }] },
        );
      }
    });
  };
  check(
    'styles',
    styles.map((style) => style.id),
  );
  check('audienceTiers', audienceTiers);
  return { styles, audienceTiers };
}
