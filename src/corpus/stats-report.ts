import type { CleanStats } from './clean.js';

function percent(part: number, whole: number): string {
  return whole === 0 ? '0%' : `${((100 * part) / whole).toFixed(2)}%`;
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ⏎ ');
}

/** A readable markdown report of a cleaning run: totals, drops per stage and reason with examples, counters. */
export function formatStatsMarkdown(stats: CleanStats): string {
  const lines = [
    '# Cleaning report',
    '',
    `- input records: ${stats.input}`,
    `- kept: ${stats.kept} (${percent(stats.kept, stats.input)})`,
    `- dropped: ${stats.dropped} (${percent(stats.dropped, stats.input)})`,
    `- generic mixed in: ${stats.generic}${stats.mix ? ` (target ${stats.mix.ratio} by ${stats.mix.by}, achieved ${stats.mix.achievedRatio.toFixed(4)})` : ''}`,
    `- output documents: ${stats.output}`,
    `- dedup index: ${stats.dedup.exactKeys} exact keys, ${stats.dedup.representatives} near-dedup representatives, ${(stats.dedup.indexBytes / 2 ** 20).toFixed(1)} MiB${stats.dedup.threshold === null ? '' : `, LSH threshold ≈ ${stats.dedup.threshold.toFixed(3)}`}`,
    `- worker threads: ${stats.workers}`,
    '',
    '## Drops per stage',
    '',
    '| stage | seen | dropped | reason | count | examples |',
    '| --- | ---: | ---: | --- | ---: | --- |',
  ];
  for (const [name, stage] of Object.entries(stats.stages)) {
    const reasons = Object.entries(stage.drops);
    if (reasons.length === 0) {
      lines.push(`| ${name} | ${stage.seen} | 0 | | | |`);
      continue;
    }
    reasons.forEach(([reason, entry], index) => {
      const examples = entry.examples
        .map(
          (example) =>
            `\`${example.id}\`: ${escapeCell(example.text.slice(0, 60))}${example.detail ? ` (${escapeCell(example.detail)})` : ''}`,
        )
        .join('<br>');
      const head = index === 0 ? `| ${name} | ${stage.seen} | ${stage.dropped} ` : '| | | ';
      lines.push(`${head}| ${reason} | ${entry.count} | ${examples} |`);
    });
  }
  lines.push('', '## Counters', '');
  for (const [name, stage] of Object.entries(stats.stages)) {
    const counters = Object.entries(stage.counters);
    if (counters.length > 0) lines.push(`- ${name}: ${counters.map(([key, value]) => `${key} ${value}`).join(', ')}`);
  }
  if (stats.warnings.length > 0) lines.push('', '## Warnings', '', ...stats.warnings.map((warning) => `- ${warning}`));
  return `${lines.join('\n')}\n`;
}
