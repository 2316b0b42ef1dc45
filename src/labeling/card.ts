import type { LabelledNote } from './label-notes.js';
import type { DatasetSplit } from './split.js';

/** What a dataset card describes. */
export interface DatasetCardInput {
  /** Heading of the card, e.g. `CopyForge SFT dataset`. */
  title: string;
  /** File format of the lines, e.g. `chat JSONL`. */
  format: string;
  /** Example counts per split and per kind (SFT kind or preference source). */
  splits: Record<DatasetSplit, { examples: number; notes: number; byKind: Record<string, number> }>;
  /** The labelled notes the examples came from, for label distributions. */
  labelled?: readonly LabelledNote[];
  /** Inputs left out, by reason. */
  skipped?: Record<string, number>;
  /** A few records, shown verbatim. */
  examples?: readonly unknown[];
  /** Free text: where the data came from, how to train on it. */
  notes?: string[];
  /** Split settings, shown so the split can be reproduced. */
  split?: { validationFraction: number; seed: string };
}

function table(heading: [string, string], counts: Record<string, number>, total?: number): string[] {
  const rows = Object.entries(counts).sort((left, right) => right[1] - left[1] || left[0].localeCompare(right[0]));
  if (rows.length === 0) return ['(none)'];
  return [
    `| ${heading[0]} | ${heading[1]} |`,
    '| --- | ---: |',
    ...rows.map(([key, count]) =>
      total ? `| ${key} | ${count} (${((100 * count) / total).toFixed(1)}%) |` : `| ${key} | ${count} |`,
    ),
  ];
}

function tally(values: Iterable<string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/**
 * Renders a dataset card in markdown: counts per split and kind, label distributions
 * (audience and reach tiers, styles, grounding, flags, mean confidence), what was left out,
 * and a few example lines.
 */
export function renderDatasetCard(input: DatasetCardInput): string {
  const { train, validation } = input.splits;
  const kinds = [...new Set([...Object.keys(train.byKind), ...Object.keys(validation.byKind)])].sort();
  const lines = [
    `# ${input.title}`,
    '',
    `Format: ${input.format}.`,
    ...(input.split
      ? [
          `Split: by a sha256 hash of the note id (seed \`${input.split.seed}\`, validation fraction ${input.split.validationFraction}); every example of a note is on the same side.`,
        ]
      : []),
    '',
    '## Counts',
    '',
    '| split | examples | notes |',
    '| --- | ---: | ---: |',
    `| train | ${train.examples} | ${train.notes} |`,
    `| validation | ${validation.examples} | ${validation.notes} |`,
    `| total | ${train.examples + validation.examples} | ${train.notes + validation.notes} |`,
    '',
    '| kind | train | validation |',
    '| --- | ---: | ---: |',
    ...kinds.map((kind) => `| ${kind} | ${train.byKind[kind] ?? 0} | ${validation.byKind[kind] ?? 0} |`),
  ];
  const labelled = input.labelled ?? [];
  if (labelled.length > 0) {
    const total = labelled.length;
    const grounded = labelled.filter((entry) => entry.grounding.grounded).length;
    const confidences = labelled.flatMap((entry) =>
      entry.labels.confidence === undefined ? [] : [entry.labels.confidence],
    );
    const meanConfidence = confidences.length
      ? (confidences.reduce((sum, value) => sum + value, 0) / confidences.length).toFixed(3)
      : 'n/a (single vote)';
    lines.push(
      '',
      '## Labels',
      '',
      `${total} labelled notes; promotion target grounded in the note: ${grounded} (${((100 * grounded) / total).toFixed(1)}%); mean confidence: ${meanConfidence}.`,
      '',
      '### Audience tiers',
      '',
      ...table(['audience tier', 'notes'], tally(labelled.map((entry) => entry.labels.audienceTier)), total),
      '',
      '### Reach tiers',
      '',
      ...table(['reach tier', 'notes'], tally(labelled.map((entry) => entry.reachTier)), total),
      '',
      '### Title styles',
      '',
      ...table(['style', 'titles'], tally(labelled.flatMap((entry) => entry.labels.styles))),
      '',
      '### Flags',
      '',
      ...table(['flag', 'notes'], tally(labelled.flatMap((entry) => entry.flags)), total),
    );
  }
  lines.push('', '## Left out', '', ...table(['reason', 'count'], input.skipped ?? {}));
  if (input.examples?.length) {
    lines.push('', '## Examples', '');
    for (const example of input.examples) lines.push('```json', JSON.stringify(example, null, 2), '```', '');
  }
  if (input.notes?.length) lines.push('', '## Notes', '', ...input.notes);
  return `${lines.join('\n').trimEnd()}\n`;
}
