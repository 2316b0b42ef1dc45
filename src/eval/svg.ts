/**
 * Inline SVG charts for the HTML report. Plain strings, no scripts or external assets,
 * so the report is one self-contained file that renders offline.
 */

/** Escapes text for HTML and SVG content and attribute values. */
export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** Formats a number with `digits` decimals; `—` for null or non-finite values. */
export function formatNumber(value: number | null | undefined, digits = 3): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(digits);
}

/** Chart colours, shared with the report's CSS legend. */
export const chartColors = {
  system: '#0f766e',
  baseline: '#9ca3af',
  good: '#16a34a',
  same: '#d1d5db',
  bad: '#dc2626',
  bar: '#2563eb',
  muted: '#6b7280',
  axis: '#374151',
} as const;

function text(x: number, y: number, content: string, attributes = ''): string {
  return `<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" ${attributes}>${escapeHtml(content)}</text>`;
}

function rect(x: number, y: number, width: number, height: number, fill: string, attributes = ''): string {
  return `<rect x="${x.toFixed(1)}" y="${y.toFixed(1)}" width="${Math.max(0, width).toFixed(1)}" height="${Math.max(0, height).toFixed(1)}" fill="${fill}" ${attributes}/>`;
}

function svg(id: string, width: number, height: number, label: string, body: string[]): string {
  return `<svg class="chart" id="${escapeHtml(id)}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-label="${escapeHtml(label)}" font-family="system-ui, sans-serif" font-size="12">${body.join('')}</svg>`;
}

/** One group of a grouped bar chart: a label and one value per series (null = missing). */
export interface BarGroup {
  /** Group label under the bars. */
  label: string;
  /** One value per series, in [0, 1]. */
  values: (number | null)[];
}

/** Grouped vertical bars on a [0, 1] axis, values printed on top. */
export function groupedBarChart(
  id: string,
  label: string,
  groups: readonly BarGroup[],
  series: readonly { name: string; color: string }[],
): string {
  const width = 580;
  const height = 300;
  const left = 44;
  const top = 34;
  const bottom = 44;
  const plotHeight = height - top - bottom;
  const groupWidth = (width - left - 10) / Math.max(1, groups.length);
  const barWidth = Math.min(44, (groupWidth - 24) / Math.max(1, series.length));
  const body: string[] = [];
  for (const tick of [0, 0.25, 0.5, 0.75, 1]) {
    const y = top + plotHeight * (1 - tick);
    body.push(`<line x1="${left}" x2="${width - 10}" y1="${y}" y2="${y}" stroke="#e5e7eb"/>`);
    body.push(text(left - 6, y + 4, tick.toFixed(2), `text-anchor="end" fill="${chartColors.muted}"`));
  }
  series.forEach((entry, index) => {
    const x = left + index * 170;
    body.push(rect(x, 8, 12, 12, entry.color), text(x + 18, 18, entry.name, `fill="${chartColors.axis}"`));
  });
  groups.forEach((group, groupIndex) => {
    const groupLeft = left + groupIndex * groupWidth + (groupWidth - barWidth * series.length) / 2;
    group.values.forEach((value, seriesIndex) => {
      const x = groupLeft + seriesIndex * barWidth;
      const color = series[seriesIndex]?.color ?? chartColors.bar;
      if (value === null) {
        body.push(
          text(x + barWidth / 2, top + plotHeight - 4, 'n/a', `text-anchor="middle" fill="${chartColors.muted}"`),
        );
        return;
      }
      const barHeight = plotHeight * Math.max(0, Math.min(1, value));
      body.push(rect(x + 2, top + plotHeight - barHeight, barWidth - 4, barHeight, color, 'class="bar"'));
      body.push(
        text(
          x + barWidth / 2,
          top + plotHeight - barHeight - 4,
          value.toFixed(2),
          'text-anchor="middle" font-size="11"',
        ),
      );
    });
    body.push(
      text(left + groupIndex * groupWidth + groupWidth / 2, height - bottom + 18, group.label, 'text-anchor="middle"'),
    );
  });
  body.push(
    `<line x1="${left}" x2="${width - 10}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="${chartColors.axis}"/>`,
  );
  return svg(id, width, height, label, body);
}

/** A 10-bin histogram over [0, 1]. */
export function histogramChart(id: string, label: string, bins: readonly number[]): string {
  const width = 360;
  const height = 170;
  const left = 30;
  const top = 12;
  const bottom = 26;
  const plotWidth = width - left - 8;
  const plotHeight = height - top - bottom;
  const highest = Math.max(1, ...bins);
  const binWidth = plotWidth / Math.max(1, bins.length);
  const body: string[] = [];
  body.push(text(left - 4, top + 8, String(highest), `text-anchor="end" fill="${chartColors.muted}" font-size="10"`));
  body.push(text(left - 4, top + plotHeight, '0', `text-anchor="end" fill="${chartColors.muted}" font-size="10"`));
  bins.forEach((count, index) => {
    const barHeight = (plotHeight * count) / highest;
    body.push(
      rect(
        left + index * binWidth + 1,
        top + plotHeight - barHeight,
        binWidth - 2,
        barHeight,
        chartColors.bar,
        'class="bar"',
      ),
    );
  });
  for (const tick of [0, 0.5, 1]) {
    body.push(
      text(
        left + plotWidth * tick,
        height - 8,
        tick.toFixed(1),
        `text-anchor="middle" fill="${chartColors.muted}" font-size="10"`,
      ),
    );
  }
  body.push(
    `<line x1="${left}" x2="${left + plotWidth}" y1="${top + plotHeight}" y2="${top + plotHeight}" stroke="${chartColors.axis}"/>`,
  );
  return svg(id, width, height, label, body);
}

/** One GSB row: counts, score and interval. */
export interface GsbRow {
  /** Row label, e.g. `LLM judge`. */
  label: string;
  /** Counts. */
  good: number;
  /** Counts. */
  same: number;
  /** Counts. */
  bad: number;
  /** (G − B) / N. */
  score: number | null;
  /** Bootstrap interval bounds. */
  lower: number | null;
  /** Bootstrap interval bounds. */
  upper: number | null;
}

/** GSB rows: a stacked Good/Same/Bad bar, and the score with its interval on a [−1, 1] axis. */
export function gsbChart(id: string, label: string, rows: readonly GsbRow[]): string {
  const width = 760;
  const rowHeight = 56;
  const top = 34;
  const height = top + rows.length * rowHeight + 30;
  const labelWidth = 100;
  const stackWidth = 300;
  const axisLeft = labelWidth + stackWidth + 50;
  const axisWidth = width - axisLeft - 20;
  const toX = (value: number) => axisLeft + ((value + 1) / 2) * axisWidth;
  const body: string[] = [];
  const legend: [string, string][] = [
    ['Good', chartColors.good],
    ['Same', chartColors.same],
    ['Bad', chartColors.bad],
  ];
  legend.forEach(([name, color], index) => {
    body.push(rect(labelWidth + index * 80, 8, 12, 12, color), text(labelWidth + index * 80 + 18, 18, name));
  });
  body.push(text(axisLeft, 18, 'GSB = (G − B) / N, 95% bootstrap interval', `fill="${chartColors.axis}"`));
  rows.forEach((row, index) => {
    const y = top + index * rowHeight;
    const total = row.good + row.same + row.bad;
    body.push(text(0, y + 22, row.label, `font-weight="600"`));
    let x = labelWidth;
    for (const [count, color] of [
      [row.good, chartColors.good],
      [row.same, chartColors.same],
      [row.bad, chartColors.bad],
    ] as const) {
      const segment = total === 0 ? 0 : (stackWidth * count) / total;
      body.push(rect(x, y + 6, segment, 24, color, 'class="bar"'));
      if (segment > 22) body.push(text(x + segment / 2, y + 22, String(count), 'text-anchor="middle"'));
      x += segment;
    }
    body.push(`<line x1="${toX(-1)}" x2="${toX(1)}" y1="${y + 18}" y2="${y + 18}" stroke="#e5e7eb" stroke-width="2"/>`);
    body.push(
      `<line x1="${toX(0)}" x2="${toX(0)}" y1="${y + 4}" y2="${y + 32}" stroke="${chartColors.muted}" stroke-dasharray="3 3"/>`,
    );
    if (row.lower !== null && row.upper !== null) {
      body.push(
        `<line class="interval" x1="${toX(row.lower)}" x2="${toX(row.upper)}" y1="${y + 18}" y2="${y + 18}" stroke="${chartColors.axis}" stroke-width="3"/>`,
      );
      for (const bound of [row.lower, row.upper]) {
        body.push(
          `<line x1="${toX(bound)}" x2="${toX(bound)}" y1="${y + 11}" y2="${y + 25}" stroke="${chartColors.axis}" stroke-width="2"/>`,
        );
      }
    }
    if (row.score !== null) {
      body.push(`<circle class="point" cx="${toX(row.score)}" cy="${y + 18}" r="5" fill="${chartColors.system}"/>`);
      const interval =
        row.lower === null || row.upper === null ? '' : ` [${row.lower.toFixed(2)}, ${row.upper.toFixed(2)}]`;
      body.push(text(toX(row.score), y + 46, `${row.score.toFixed(3)}${interval}`, 'text-anchor="middle"'));
    }
  });
  const axisY = top + rows.length * rowHeight + 14;
  for (const tick of [-1, -0.5, 0, 0.5, 1]) {
    body.push(text(toX(tick), axisY, tick.toFixed(1), `text-anchor="middle" fill="${chartColors.muted}"`));
  }
  return svg(id, width, height, label, body);
}

/** One funnel stage. */
export interface FunnelBar {
  /** Stage label. */
  label: string;
  /** Creatives still in. */
  count: number;
  /** False draws the stage greyed out as not measured. */
  measured: boolean;
}

/** Horizontal funnel bars with counts and the share of the first stage. */
export function funnelChart(id: string, label: string, stages: readonly FunnelBar[]): string {
  const width = 760;
  const rowHeight = 40;
  const labelWidth = 150;
  const plotWidth = width - labelWidth - 150;
  const height = stages.length * rowHeight + 10;
  const first = Math.max(1, stages[0]?.count ?? 1);
  const body: string[] = [];
  stages.forEach((stage, index) => {
    const y = 5 + index * rowHeight;
    const barWidth = (plotWidth * stage.count) / first;
    const color = stage.measured ? chartColors.system : chartColors.same;
    body.push(text(labelWidth - 10, y + 21, stage.label, 'text-anchor="end"'));
    body.push(rect(labelWidth, y + 4, barWidth, 26, color, 'class="bar"'));
    const share = `${stage.count} (${((100 * stage.count) / first).toFixed(1)}%)${stage.measured ? '' : ' not measured'}`;
    body.push(text(labelWidth + barWidth + 8, y + 21, share));
  });
  return svg(id, width, height, label, body);
}
