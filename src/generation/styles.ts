/** One title style of the taxonomy. */
export interface TitleStyle {
  /** Stable id used in outputs and controls, e.g. `question`. */
  id: string;
  /** What the style means, in Chinese and English, shown to the model. */
  description: { zh: string; en: string };
  /**
   * What the model sees instead of the id in a prompt of that language (the output keeps the
   * id). English ids inside a Chinese prompt's JSON pulled the default model into English titles.
   */
  label?: Partial<Record<'zh' | 'en', string>>;
}

/**
 * The default style taxonomy, shared by generation and labelling. Override it with
 * `createForge({ styles })` to match your platform's editorial guide.
 */
export const defaultTitleStyles: readonly TitleStyle[] = [
  {
    id: 'question',
    label: { zh: '提问' },
    description: { zh: '提问式，引发好奇', en: 'asks a question that sparks curiosity' },
  },
  {
    id: 'number-list',
    label: { zh: '数字清单' },
    description: { zh: '数字/清单式，给出具体数字', en: 'leads with a number or a list' },
  },
  {
    id: 'emotional',
    label: { zh: '情绪共鸣' },
    description: { zh: '情绪共鸣式，说出感受', en: 'speaks to a feeling' },
  },
  {
    id: 'how-to',
    label: { zh: '干货教程' },
    description: { zh: '干货教程式，教人怎么做', en: 'promises practical how-to tips' },
  },
  {
    id: 'contrast',
    label: { zh: '前后对比' },
    description: { zh: '前后对比/反差式', en: 'shows a before/after contrast' },
  },
  {
    id: 'scenario',
    label: { zh: '场景代入' },
    description: { zh: '场景代入式，描述使用场景', en: 'puts the reader in a concrete scene' },
  },
];

/**
 * What the model sees instead of an audience tier id in a prompt of that language (outputs
 * keep the id). Tiers without a label are shown as their id.
 */
export const defaultAudienceTierLabels: Readonly<Record<string, Partial<Record<'zh' | 'en', string>>>> = {
  students: { zh: '学生党' },
  'young-professionals': { zh: '上班族' },
  'new-parents': { zh: '新手爸妈' },
  families: { zh: '家庭' },
  seniors: { zh: '长辈' },
  'fitness-enthusiasts': { zh: '健身人群' },
  travellers: { zh: '旅行者' },
  'pet-owners': { zh: '养宠人' },
  'home-makers': { zh: '居家达人' },
  'tech-enthusiasts': { zh: '数码爱好者' },
  broad: { zh: '大众' },
};

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

/** Maps style and audience-tier ids to what the model sees in one prompt language, and back. */
export interface ControlLabels {
  style(id: string): string;
  tier(id: string): string;
  /** The id of a label the model wrote; `undefined` when it is no known label. */
  styleId(label: string): string | undefined;
  tierId(label: string): string | undefined;
  /** The prompt's controls as the model sees them: ids replaced by labels. */
  shown(controls: { styles: readonly TitleStyle[]; audienceTier?: string; audienceTiers: readonly string[] }): {
    styles: TitleStyle[];
    audienceTier?: string;
    audienceTiers: string[];
  };
}

/**
 * Labels of the controls for `language`. Ids without a label, and every id when two labels
 * would collide, are shown as themselves.
 */
export function controlLabels(
  language: 'zh' | 'en',
  styles: readonly TitleStyle[],
  audienceTiers: readonly string[],
  tierLabels: Readonly<Record<string, Partial<Record<'zh' | 'en', string>>>> = defaultAudienceTierLabels,
): ControlLabels {
  const build = (entries: [string, string | undefined][]) => {
    const toLabel = new Map(entries.map(([id, label]) => [id, label ?? id]));
    const labels = [...toLabel.values()];
    if (new Set(labels).size !== labels.length) for (const id of toLabel.keys()) toLabel.set(id, id);
    const toId = new Map([...toLabel].map(([id, label]) => [label, id]));
    return { toLabel, toId };
  };
  const styleMaps = build(styles.map((style) => [style.id, style.label?.[language]]));
  const tierMaps = build(audienceTiers.map((tier) => [tier, tierLabels[tier]?.[language]]));
  const style = (id: string) => styleMaps.toLabel.get(id) ?? id;
  const tier = (id: string) => tierMaps.toLabel.get(id) ?? id;
  return {
    style,
    tier,
    styleId: (label) => styleMaps.toId.get(label),
    tierId: (label) => tierMaps.toId.get(label),
    shown: (controls) => ({
      styles: controls.styles.map((entry) => ({ ...entry, id: style(entry.id) })),
      audienceTier: controls.audienceTier === undefined ? undefined : tier(controls.audienceTier),
      audienceTiers: controls.audienceTiers.map(tier),
    }),
  };
}
