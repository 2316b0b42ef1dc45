import { type DiversityMetric, diversityMetrics } from './diversity.js';
import type { EvaluationReport, GsbSummary } from './report.js';
import {
  chartColors,
  escapeHtml,
  formatNumber,
  funnelChart,
  type GsbRow,
  groupedBarChart,
  gsbChart,
  histogramChart,
} from './svg.js';

const metricLabels: Record<DiversityMetric, string> = {
  distinct1: 'distinct-1',
  distinct2: 'distinct-2',
  selfBleu: 'self-BLEU-4 ↓',
  coverage: 'coverage',
  novelty1: 'novelty-1',
  novelty2: 'novelty-2',
};

function gsbRows(report: EvaluationReport): GsbRow[] {
  const rows: GsbRow[] = [];
  const add = (label: string, summary: GsbSummary | null) => {
    if (!summary) return;
    const { good, same, bad, score } = summary.result;
    rows.push({
      label,
      good,
      same,
      bad,
      score,
      lower: summary.interval?.lower ?? null,
      upper: summary.interval?.upper ?? null,
    });
  };
  add('LLM judge', report.gsb.judge);
  add('Human', report.gsb.human);
  return rows;
}

function percent(count: number, total: number): string {
  return total === 0 ? '—' : `${((100 * count) / total).toFixed(1)}%`;
}

/** The report as GitHub-flavoured markdown (tables only, no charts). */
export function renderMarkdownReport(report: EvaluationReport): string {
  const { system, baseline } = report.diversity;
  const lines = [
    `# Evaluation: ${report.systemName} vs ${report.baselineName}`,
    '',
    `${report.noteCount} notes, ${report.creativeCount} creatives (${system.titleCount} titles scored). ` +
      `Baseline: ${report.baselineSource === 'sampled' ? 'original titles sampled at random (seeded)' : report.baselineSource === 'file' ? 'from file' : 'none'}. ` +
      `Generated ${report.generatedAt}.`,
    '',
    '## Diversity',
    '',
    'Macro means over notes; self-BLEU: lower is more diverse.',
    '',
    `| metric | ${report.systemName} | ${report.baselineName} |`,
    '| --- | ---: | ---: |',
    ...diversityMetrics.map(
      (metric) =>
        `| ${metricLabels[metric]} | ${formatNumber(system.mean[metric])} | ${formatNumber(baseline?.mean[metric])} |`,
    ),
    `| distinct-1 (pooled) | ${formatNumber(system.pooledDistinct1)} | ${formatNumber(baseline?.pooledDistinct1)} |`,
    `| distinct-2 (pooled) | ${formatNumber(system.pooledDistinct2)} | ${formatNumber(baseline?.pooledDistinct2)} |`,
    '',
    '## Consistency (GSB)',
    '',
  ];
  const rows = gsbRows(report);
  if (rows.length === 0) {
    lines.push('No judgements given (`--judgements` or `--sheets` with `--key`).');
  } else {
    lines.push('| source | good | same | bad | GSB | 95% interval |', '| --- | ---: | ---: | ---: | ---: | --- |');
    for (const row of rows) {
      const interval = row.lower === null ? '—' : `[${formatNumber(row.lower)}, ${formatNumber(row.upper)}]`;
      lines.push(
        `| ${row.label} | ${row.good} | ${row.same} | ${row.bad} | ${formatNumber(row.score)} | ${interval} |`,
      );
    }
    if (report.gsb.human)
      lines.push('', `Human: ${report.gsb.human.raters} sheet(s), ${report.gsb.human.unrated} unrated row(s).`);
    if (report.agreement) {
      lines.push(
        '',
        `Judge–human agreement over ${report.agreement.items} ratings: ${formatNumber(report.agreement.percentAgreement)} ` +
          `(Cohen's kappa ${formatNumber(report.agreement.kappa)}).`,
      );
    }
  }
  lines.push('', '## Reward-model scores', '');
  if (report.scores.length === 0) {
    lines.push('No reward-model scores in the input.');
  } else {
    lines.push('| reward model | n | mean | median | min | max | pass | fail | unknown |');
    lines.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    for (const score of report.scores) {
      lines.push(
        `| ${score.rewardModel} | ${score.count} | ${formatNumber(score.mean)} | ${formatNumber(score.median)} | ${formatNumber(score.min)} | ${formatNumber(score.max)} | ${score.verdicts.pass} | ${score.verdicts.fail} | ${score.verdicts.unknown} |`,
      );
    }
  }
  const first = report.funnel[0]?.count ?? 0;
  lines.push('', '## Acceptance funnel', '', '| stage | creatives | share |', '| --- | ---: | ---: |');
  for (const stage of report.funnel) {
    lines.push(
      `| ${stage.label}${stage.measured ? '' : ' (not measured)'} | ${stage.count} | ${percent(stage.count, first)} |`,
    );
  }
  lines.push(
    '',
    '## Per note',
    '',
    `| note | titles | ${diversityMetrics.map((metric) => metricLabels[metric]).join(' | ')} |`,
  );
  lines.push(`| --- | ---: | ${diversityMetrics.map(() => '---:').join(' | ')} |`);
  for (const note of system.perNote) {
    lines.push(
      `| ${note.noteId} | ${note.titleCount} | ${diversityMetrics.map((metric) => formatNumber(note[metric])).join(' | ')} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const styles = `
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;background:#f9fafb;color:#111827;line-height:1.45}
main{max-width:1120px;margin:0 auto;padding:28px 32px 48px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:0 0 10px}
.meta{color:#4b5563;margin:0 0 20px}
section{background:#fff;border:1px solid #e5e7eb;border-radius:10px;padding:18px 22px;margin:0 0 18px}
table{border-collapse:collapse;font-size:13px;margin-top:10px}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 12px;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#f3f4f6}
.grid{display:flex;flex-wrap:wrap;gap:12px 28px}
.grid figure{margin:0}figcaption{font-size:13px;color:#374151}
.note{color:#6b7280;font-size:13px}
svg.chart{max-width:100%;height:auto}
details summary{cursor:pointer;color:#1d4ed8}
`;

/** The report as one self-contained HTML page with inline SVG charts (no scripts, no external files). */
export function renderHtmlReport(report: EvaluationReport): string {
  const { system, baseline } = report.diversity;
  const series: { name: string; color: string }[] = [{ name: report.systemName, color: chartColors.system }];
  if (baseline) series.push({ name: report.baselineName, color: chartColors.baseline });
  const groups = diversityMetrics.map((metric) => ({
    label: metricLabels[metric],
    values: baseline ? [system.mean[metric], baseline.mean[metric]] : [system.mean[metric]],
  }));
  const diversityTable = [
    `<table><tr><th>metric</th><th>${escapeHtml(report.systemName)}</th><th>${escapeHtml(report.baselineName)}</th></tr>`,
    ...diversityMetrics.map(
      (metric) =>
        `<tr><td>${metricLabels[metric]}</td><td>${formatNumber(system.mean[metric])}</td><td>${formatNumber(baseline?.mean[metric])}</td></tr>`,
    ),
    `<tr><td>distinct-1 (pooled)</td><td>${formatNumber(system.pooledDistinct1)}</td><td>${formatNumber(baseline?.pooledDistinct1)}</td></tr>`,
    `<tr><td>distinct-2 (pooled)</td><td>${formatNumber(system.pooledDistinct2)}</td><td>${formatNumber(baseline?.pooledDistinct2)}</td></tr></table>`,
  ].join('');
  const rows = gsbRows(report);
  let gsbSection =
    '<p class="note">No judgements given (<code>--judgements</code>, or <code>--sheets</code> with <code>--key</code>).</p>';
  if (rows.length > 0) {
    gsbSection = gsbChart('chart-gsb', 'GSB of the system against the baseline', rows);
    const notes: string[] = [];
    if (report.gsb.human)
      notes.push(`Human: ${report.gsb.human.raters} sheet(s), ${report.gsb.human.unrated} unrated row(s).`);
    if (report.agreement) {
      notes.push(
        `Judge–human agreement over ${report.agreement.items} ratings: ${formatNumber(report.agreement.percentAgreement)} (Cohen's κ ${formatNumber(report.agreement.kappa)}).`,
      );
    }
    if (notes.length > 0) gsbSection += `<p class="note">${escapeHtml(notes.join(' '))}</p>`;
  }
  const scoreSection =
    report.scores.length === 0
      ? '<p class="note">No reward-model scores in the input.</p>'
      : `<div class="grid">${report.scores
          .map(
            (score) =>
              `<figure>${histogramChart(`chart-scores-${score.rewardModel.replace(/[^A-Za-z0-9_-]/g, '_')}`, `${score.rewardModel} score histogram`, score.histogram)}<figcaption><b>${escapeHtml(score.rewardModel)}</b>: n ${score.count}, mean ${formatNumber(score.mean)}, median ${formatNumber(score.median)}, pass ${percent(score.verdicts.pass, score.count)}</figcaption></figure>`,
          )
          .join('')}</div>`;
  const perNote = [
    `<table><tr><th>note</th><th>titles</th>${diversityMetrics.map((metric) => `<th>${metricLabels[metric]}</th>`).join('')}</tr>`,
    ...system.perNote.map(
      (note) =>
        `<tr><td>${escapeHtml(note.noteId)}</td><td>${note.titleCount}</td>${diversityMetrics.map((metric) => `<td>${formatNumber(note[metric])}</td>`).join('')}</tr>`,
    ),
    '</table>',
  ].join('');
  const baselineText =
    report.baselineSource === 'sampled'
      ? 'original titles sampled at random (seeded)'
      : report.baselineSource === 'file'
        ? 'from file'
        : 'none';
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`Evaluation: ${report.systemName} vs ${report.baselineName}`)}</title>
<style>${styles}</style>
</head>
<body>
<main>
<h1>Evaluation: ${escapeHtml(report.systemName)} vs ${escapeHtml(report.baselineName)}</h1>
<p class="meta">${report.noteCount} notes · ${report.creativeCount} creatives · baseline: ${escapeHtml(baselineText)} · ${escapeHtml(report.generatedAt)}</p>
<section id="diversity"><h2>Diversity</h2>
<p class="note">Macro means over notes. Characters are tokens on CJK text, words on Latin text. Self-BLEU: lower is more diverse.</p>
<div class="grid">${groupedBarChart('chart-diversity', 'Diversity, system vs baseline', groups, series)}
${diversityTable}</div></section>
<section id="gsb"><h2>Consistency (GSB)</h2>${gsbSection}</section>
<section id="scores"><h2>Reward-model scores</h2>${scoreSection}</section>
<section id="funnel"><h2>Acceptance funnel</h2>${funnelChart('chart-funnel', 'Acceptance funnel', report.funnel)}</section>
<section id="per-note"><h2>Per note</h2><details><summary>${system.perNote.length} notes</summary>${perNote}</details></section>
</main>
</body>
</html>
`;
}

/**
 * Renders a report as markdown and as a self-contained HTML page (inline SVG charts:
 * diversity bars, GSB with interval, score histograms per reward model, acceptance funnel).
 *
 * @example
 * const { markdown, html } = renderReport(buildEvaluationReport({ system, notes }));
 */
export function renderReport(report: EvaluationReport): { markdown: string; html: string } {
  return { markdown: renderMarkdownReport(report), html: renderHtmlReport(report) };
}
