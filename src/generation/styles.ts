/** One title style of the taxonomy. */
export interface TitleStyle {
  /** Stable id used in outputs and controls, e.g. `question`. */
  id: string;
  /** What the style means, in Chinese and English, shown to the model. */
  description: { zh: string; en: string };
}

/**
 * The default style taxonomy, shared by generation and labelling. Override it with
 * `createForge({ styles })` to match your platform's editorial guide.
 */
export const defaultTitleStyles: readonly TitleStyle[] = [
  { id: 'question', description: { zh: '提问式，引发好奇', en: 'asks a question that sparks curiosity' } },
  { id: 'number-list', description: { zh: '数字/清单式，给出具体数字', en: 'leads with a number or a list' } },
  { id: 'emotional', description: { zh: '情绪共鸣式，说出感受', en: 'speaks to a feeling' } },
  { id: 'how-to', description: { zh: '干货教程式，教人怎么做', en: 'promises practical how-to tips' } },
  { id: 'contrast', description: { zh: '前后对比/反差式', en: 'shows a before/after contrast' } },
  { id: 'scenario', description: { zh: '场景代入式，描述使用场景', en: 'puts the reader in a concrete scene' } },
];

/** The default audience tiers the model chooses from when the caller gives none. */
export const defaultAudienceTiers: readonly string[] = [
  'students',
  'young-professionals',
  'new-parents',
  'families',
  'seniors',
  'fitness-enthusiasts',
  'travellers',
  'pet-owners',
  'home-makers',
  'tech-enthusiasts',
  'broad',
];
