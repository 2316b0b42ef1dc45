#!/usr/bin/env node
// Draws an adapter card's loss curve as an SVG (docs/images/adapter-loss.svg by default).
// Usage: node scripts/sft/plot-loss.mjs [card.json] [out.svg]
import { readFileSync, writeFileSync } from 'node:fs';

const cardPath = process.argv[2] ?? 'data/adapters/copyforge-titles-v1.card.json';
const out = process.argv[3] ?? 'docs/images/adapter-loss.svg';
const card = JSON.parse(readFileSync(cardPath, 'utf8'));
const losses = card.lossCurve;
const width = 640;
const height = 320;
const margin = { left: 48, right: 16, top: 28, bottom: 40 };
const maxLoss = Math.ceil(Math.max(...losses) * 2) / 2;
const x = (step) => margin.left + ((step - 1) / Math.max(1, losses.length - 1)) * (width - margin.left - margin.right);
const y = (loss) => margin.top + (1 - loss / maxLoss) * (height - margin.top - margin.bottom);
// A moving average over 9 steps shows the trend under the per-batch noise.
const smooth = losses.map((_, index) => {
  const window = losses.slice(Math.max(0, index - 4), index + 5);
  return window.reduce((sum, value) => sum + value, 0) / window.length;
});
const path = (values) =>
  values.map((loss, index) => `${index ? 'L' : 'M'}${x(index + 1).toFixed(1)},${y(loss).toFixed(1)}`).join(' ');
const ticks = [];
for (let loss = 0; loss <= maxLoss + 1e-9; loss += 0.5) {
  ticks.push(
    `<line x1="${margin.left}" x2="${width - margin.right}" y1="${y(loss)}" y2="${y(loss)}" stroke="#e5e5e5"/>` +
      `<text x="${margin.left - 6}" y="${y(loss) + 4}" text-anchor="end" font-size="11">${loss.toFixed(1)}</text>`,
  );
}
// Dashed lines: the boundaries between training stages (a card with `stages`), else between epochs.
const boundaries = [];
if (Array.isArray(card.stages) && card.stages.length > 1) {
  let step = 0;
  for (const stage of card.stages.slice(0, -1)) {
    step += stage.steps;
    boundaries.push(step);
  }
} else {
  const perEpoch = Math.round(losses.length / card.hyperParameters.epochs) || losses.length;
  for (let step = perEpoch; step < losses.length; step += perEpoch) boundaries.push(step);
}
for (const step of boundaries) {
  ticks.push(
    `<line x1="${x(step)}" x2="${x(step)}" y1="${margin.top}" y2="${height - margin.bottom}" stroke="#bbb" stroke-dasharray="4 3"/>`,
  );
}
const boundaryLabel = Array.isArray(card.stages) && card.stages.length > 1 ? 'training stage' : 'epoch';
const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" font-family="sans-serif" role="img">
<title>Training loss per optimiser step of ${card.adapter.file}: ${losses[0]} to ${losses.at(-1)}</title>
<rect width="100%" height="100%" fill="#fff"/>
<text x="${margin.left}" y="18" font-size="13">Training loss of ${card.adapter.file} (answer tokens only), ${losses.length} steps of ${card.hyperParameters.batchSize}</text>
${ticks.join('\n')}
<path d="${path(losses)}" fill="none" stroke="#9ecae1" stroke-width="1"/>
<path d="${path(smooth)}" fill="none" stroke="#08519c" stroke-width="2"/>
<text x="${width / 2}" y="${height - 8}" text-anchor="middle" font-size="11">optimiser step (dashed: ${boundaryLabel} boundary)</text>
</svg>
`;
writeFileSync(out, svg);
console.log(`wrote ${out}: loss ${losses[0]} -> ${losses.at(-1)} (smoothed ${smooth.at(-1).toFixed(3)})`);
