#!/usr/bin/env node
// Lint for the hand-written SFT corpus (data/sft/notes/*.jsonl): every row is a note that
// matches the note schema plus its unified label, and the label obeys the rules the corpus
// promises (docs: data/sft/README.md). Usage: node scripts/sft/lint-corpus.mjs [file ...]
// (default: every file in data/sft/notes). Exits 1 when any row breaks a rule.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const notesDirectory = join(root, 'data/sft/notes');

export const styles = ['question', 'number-list', 'emotional', 'how-to', 'contrast', 'scenario'];
export const audienceTiers = [
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
// The forge's defaults (src/generation/forge.ts): the corpus must fit what generation accepts.
export const titleLength = { zh: { min: 4, max: 20 }, en: { min: 10, max: 60 } };
const forbidden = {
  zh: [
    '最',
    '第一',
    '唯一',
    '100%',
    '绝对',
    '根治',
    '永久',
    '顶级',
    '国家级',
    '万能',
    '神器',
    '秒杀',
    '必买',
    '全网',
    '零风险',
  ],
  en: [
    /\bbest\b/i,
    /#1\b/,
    /\bnumber one\b/i,
    /\bguarantee/i,
    /\bcures?\b/i,
    /\bmiracle/i,
    /100%/,
    /\bperfect\b/i,
    /\bnever fails\b/i,
    /\brisk-free\b/i,
    /\bmust-buy\b/i,
  ],
};

/** The corpus split, fixed forever: `splitOf(id, sftCorpusSplit)` of src/labeling/split.ts. */
export const sftCorpusSplit = { validationFraction: 0.18, seed: 'copyforge-sft' };

/** True for validation notes (never trained on); the same hash as `splitOf`. */
export function isValidationNote(id) {
  const digest = createHash('sha256').update(`${sftCorpusSplit.seed}\u0000${id}`).digest();
  return digest.readUIntBE(0, 6) / 2 ** 48 < sftCorpusSplit.validationFraction;
}

const cjk = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const fold = (text) =>
  text
    .normalize('NFKC')
    .toLowerCase()
    .replace(/[\s\p{P}\p{S}]+/gu, '');

function noteText(note) {
  return [note.title, note.body, ...(note.tags ?? []), ...(note.images ?? []).map((image) => image.description)].join(
    '\n',
  );
}

/**
 * Numbers and name-like words of a title that its note does not contain: every digit run;
 * in Chinese titles every Latin word (brands, models); in English titles words with a digit
 * or an inner capital (`5Ks`, `iPhone`). The quality bench measures grounding with it too.
 */
export function ungroundedSpans(title, note, language) {
  const folded = fold(noteText(note));
  const spans = [];
  for (const digits of title.normalize('NFKC').match(/\d+(?:\.\d+)?/g) ?? []) {
    if (!folded.includes(digits.replace('.', ''))) spans.push(digits);
  }
  const words =
    language === 'zh'
      ? (title.normalize('NFKC').match(/[A-Za-z][A-Za-z0-9+\-.]*/g) ?? [])
      : (title.match(/\b(?:[A-Za-z]*\d[A-Za-z0-9]*|[a-z]+[A-Z][A-Za-z0-9]*)\b/g) ?? []);
  for (const word of words) if (!folded.includes(fold(word))) spans.push(word);
  return spans;
}

let validateNote;
async function noteValidator() {
  if (validateNote) return validateNote;
  const { default: Ajv2020 } = await import('ajv/dist/2020.js');
  const { default: addFormats } = await import('ajv-formats');
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats(ajv);
  validateNote = ajv.compile(JSON.parse(readFileSync(join(root, 'src/schemas/note.schema.json'), 'utf8')));
  return validateNote;
}

/** Every rule broken by one row, as messages (empty when the row is fine). */
export async function lintRow(row) {
  const errors = [];
  if (typeof row !== 'object' || row === null) return ['row is not an object'];
  const { note, label } = row;
  const validate = await noteValidator();
  if (!validate(note)) {
    return validate.errors.map((error) => `note${error.instancePath}: ${error.message}`);
  }
  if (!/^sft-[a-z]+-\d{3}$/.test(note.id)) errors.push(`note.id '${note.id}' is not sft-<domain>-NNN`);
  if (note.lang !== 'zh-CN' && note.lang !== 'en') errors.push(`note.lang must be zh-CN or en`);
  const language = note.lang === 'en' ? 'en' : 'zh';
  const cjkShare = [...note.body].filter((c) => cjk.test(c)).length / Math.max(1, [...note.body].length);
  if (language === 'zh' && cjkShare < 0.3) errors.push(`zh note body is only ${(cjkShare * 100).toFixed(0)} % Chinese`);
  if (language === 'en' && cjkShare > 0) errors.push('en note body contains Chinese characters');
  if (!Array.isArray(note.tags) || note.tags.length < 2) errors.push('note.tags: at least 2 tags');
  if (typeof label !== 'object' || label === null) return [...errors, 'label is missing'];
  const extra = Object.keys(label).filter((key) => !['promotionTarget', 'audienceTier', 'titles'].includes(key));
  if (extra.length) errors.push(`label has unknown keys ${extra.join(', ')}`);
  const target = label.promotionTarget;
  if (typeof target !== 'string' || target.trim() === '' || [...target].length > 24) {
    errors.push('label.promotionTarget must be 1-24 characters');
  } else {
    if (!(note.tags ?? []).includes(target)) errors.push(`label.promotionTarget '${target}' is not one of the tags`);
    const source = `${note.title}\n${note.body}`;
    const found = language === 'en' ? source.toLowerCase().includes(target.toLowerCase()) : source.includes(target);
    if (!found) errors.push(`label.promotionTarget '${target}' does not appear in the note's title or body`);
  }
  if (!audienceTiers.includes(label.audienceTier)) errors.push(`label.audienceTier '${label.audienceTier}' unknown`);
  const titles = label.titles;
  if (!Array.isArray(titles) || titles.length < 8 || titles.length > 12) {
    return [...errors, 'label.titles must hold 8-12 titles'];
  }
  const styleCounts = new Map();
  const seen = new Set();
  titles.forEach((entry, index) => {
    const at = `label.titles[${index}]`;
    if (typeof entry !== 'object' || entry === null || typeof entry.title !== 'string') {
      errors.push(`${at} is not {title, style}`);
      return;
    }
    const keys = Object.keys(entry).filter((key) => key !== 'title' && key !== 'style');
    if (keys.length) errors.push(`${at} has unknown keys ${keys.join(', ')}`);
    const { title, style } = entry;
    if (!styles.includes(style)) errors.push(`${at}.style '${style}' unknown`);
    styleCounts.set(style, (styleCounts.get(style) ?? 0) + 1);
    const length = [...title].length;
    const { min, max } = titleLength[language];
    if (length < min || length > max)
      errors.push(`${at} '${title}' is ${length} characters (${language}: ${min}-${max})`);
    if (title !== title.trim()) errors.push(`${at} '${title}' has leading or trailing spaces`);
    if (language === 'zh' && !cjk.test(title)) errors.push(`${at} '${title}' is not Chinese`);
    if (language === 'en' && cjk.test(title)) errors.push(`${at} '${title}' has Chinese in an English note`);
    const key = fold(title);
    if (seen.has(key)) errors.push(`${at} '${title}' repeats another title`);
    seen.add(key);
    if (note.title && key === fold(note.title)) errors.push(`${at} '${title}' copies the note's title`);
    for (const span of ungroundedSpans(title, note, language)) {
      errors.push(`${at} '${title}': '${span}' is not in the note`);
    }
    for (const rule of forbidden[language]) {
      if (typeof rule === 'string' ? title.includes(rule) : rule.test(title)) {
        errors.push(`${at} '${title}' makes an absolute claim (${rule})`);
      }
    }
    if (/[#\p{Extended_Pictographic}\p{Cc}\u200b-\u200f\u202a-\u202e]/u.test(title)) {
      errors.push(`${at} '${title}' has '#', an emoji or a control character`);
    }
  });
  if (styleCounts.size < 4) errors.push(`label.titles use only ${styleCounts.size} styles (at least 4)`);
  for (const [style, count] of styleCounts)
    if (count > 4) errors.push(`style ${style} used ${count} times (at most 4)`);
  return errors;
}

/** Reads one corpus file: rows with their line numbers, and lines that are not JSON. */
export function readCorpusFile(file) {
  const rows = [];
  const errors = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, index) => {
      if (line.trim() === '') return;
      try {
        rows.push({ line: index + 1, row: JSON.parse(line) });
      } catch (error) {
        errors.push({ line: index + 1, message: `not JSON: ${error.message}` });
      }
    });
  return { rows, errors };
}

/** Lints files; returns the per-row errors and counts. */
export async function lintCorpus(files) {
  const problems = [];
  const ids = new Map();
  const counts = { notes: 0, zh: 0, en: 0, validation: 0, domains: new Set() };
  for (const file of files) {
    const { rows, errors } = readCorpusFile(file);
    for (const error of errors) problems.push(`${basename(file)}:${error.line}: ${error.message}`);
    for (const { line, row } of rows) {
      const rowErrors = await lintRow(row);
      for (const message of rowErrors) problems.push(`${basename(file)}:${line}: ${message}`);
      const id = row?.note?.id;
      if (typeof id === 'string') {
        if (ids.has(id)) problems.push(`${basename(file)}:${line}: id ${id} already used at ${ids.get(id)}`);
        ids.set(id, `${basename(file)}:${line}`);
        counts.domains.add(id.split('-')[1]);
        if (isValidationNote(id)) counts.validation += 1;
      }
      counts.notes += 1;
      if (row?.note?.lang === 'en') counts.en += 1;
      else counts.zh += 1;
    }
  }
  return { problems, counts: { ...counts, domains: [...counts.domains].sort() } };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const files =
    process.argv.length > 2
      ? process.argv.slice(2)
      : readdirSync(notesDirectory)
          .filter((name) => name.endsWith('.jsonl'))
          .map((name) => join(notesDirectory, name));
  const { problems, counts } = await lintCorpus(files);
  for (const problem of problems) console.log(problem);
  console.log(
    `${counts.notes} notes (zh ${counts.zh}, en ${counts.en}; ${counts.domains.length} domains; ` +
      `${counts.validation} validation), ${problems.length} errors`,
  );
  process.exitCode = problems.length ? 1 : 0;
}
