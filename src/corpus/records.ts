import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve, sep } from 'node:path';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { CopyForgeError } from '../core/errors.js';
import type { CorpusDocument, DocumentMetadata, DropDecision } from './stage.js';

/**
 * One raw input item: a JSONL line still to parse, a plain-text line, or a record
 * already in memory. Items cross to worker threads as is.
 */
export interface RawItem {
  /** How `value` is to be read. */
  format: 'jsonl' | 'text' | 'record';
  /** A line of text, or a record object or string. */
  value: unknown;
  /** Id to use when the record has none: `<source>:<line>` or `<source>:<index>`. */
  fallbackId: string;
  /** Source name for provenance. */
  source: string;
}

/** Files to read, in order: JSONL, JSONL.gz, or plain text (one document per line). */
export interface CorpusFiles {
  /** Paths (already expanded; see {@link expandInputs} for globs). */
  paths: readonly string[];
}

/**
 * What `cleanCorpus` reads: one file path, `{ paths }`, or records in memory (any
 * iterable or async iterable) — strings, `{ id?, text }` or notes `{ id, title, body, tags? }`.
 * An array of strings is records, not paths.
 */
export type CorpusSource = string | CorpusFiles | Iterable<unknown> | AsyncIterable<unknown>;

/** True for the `{ paths }` form of a source. */
export function isCorpusFiles(source: CorpusSource): source is CorpusFiles {
  return typeof source === 'object' && source !== null && Array.isArray((source as CorpusFiles).paths);
}

/** The file paths of a source, or undefined for in-memory records. */
export function sourcePaths(source: CorpusSource): readonly string[] | undefined {
  if (typeof source === 'string') return [source];
  return isCorpusFiles(source) ? source.paths : undefined;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Turns a record into a document: a string is the text; an object gives `text`, else
 * `content`, else `title` and `body` joined by a newline; `tags` become hashtags and
 * `metadata` is kept.
 */
export function toDocument(record: unknown, fallbackId: string, source: string): CorpusDocument | DropDecision {
  if (typeof record === 'string') return { id: fallbackId, text: record, source, metadata: {} };
  if (!isPlainObject(record)) return { reason: 'not-a-record', detail: typeof record };
  let text: string | undefined;
  if (typeof record.text === 'string') text = record.text;
  else if (typeof record.content === 'string') text = record.content;
  else if (typeof record.body === 'string') {
    text =
      typeof record.title === 'string' && record.title.trim() !== '' ? `${record.title}\n${record.body}` : record.body;
  }
  if (text === undefined) return { reason: 'no-text', detail: 'expected text, content or title/body' };
  if (text.trim() === '') return { reason: 'empty-text', detail: 'the text is empty or only whitespace' };
  // Worker threads and the shard writer copy metadata recursively; a record nested thousands
  // of levels deep would overflow their stacks (a silent hang in a worker), so it stops here.
  const depth = nestingDepth(record.metadata, maxMetadataDepth);
  if (depth > maxMetadataDepth) {
    return { reason: 'too-deep', detail: `metadata nests more than ${maxMetadataDepth} levels` };
  }
  const id = typeof record.id === 'string' || typeof record.id === 'number' ? String(record.id) : fallbackId;
  const metadata: DocumentMetadata = isPlainObject(record.metadata) ? { ...record.metadata } : {};
  if (Array.isArray(record.tags))
    metadata.hashtags = record.tags.filter((tag): tag is string => typeof tag === 'string');
  return { id, text, source: typeof record.source === 'string' ? record.source : source, metadata };
}

/** Deepest metadata nesting a document may have (JSON objects and arrays). */
export const maxMetadataDepth = 64;

/** Nesting depth of a JSON value, counted without recursion and up to `limit + 1`. */
function nestingDepth(value: unknown, limit: number): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (typeof current !== 'object' || current === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > limit) return deepest;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return deepest;
}

/** Reads a raw item into a document, parsing JSONL lines. */
export function readRawItem(item: RawItem): CorpusDocument | DropDecision {
  if (item.format === 'text')
    return { id: item.fallbackId, text: String(item.value), source: item.source, metadata: {} };
  if (item.format === 'record') return toDocument(item.value, item.fallbackId, item.source);
  let value: unknown;
  try {
    value = JSON.parse(String(item.value));
  } catch (error) {
    return { reason: 'invalid-json', detail: (error as Error).message.slice(0, 120) };
  }
  return toDocument(value, item.fallbackId, item.source);
}

/** Whether a path is read as JSON Lines (`.jsonl`, `.ndjson`, `.json`, optionally `.gz`). */
export function isJsonLinesPath(path: string): boolean {
  return /\.(jsonl|ndjson|json)(\.gz)?$/i.test(path);
}

/**
 * Reads a file line by line (gzip by extension), yielding raw items; blank lines are skipped
 * and a UTF-8 byte-order mark before the first line is dropped. `-` reads standard input as
 * JSON Lines.
 */
export async function* readCorpusFile(path: string): AsyncGenerator<RawItem> {
  const stdin = path === '-';
  const file = stdin ? process.stdin : createReadStream(path);
  if (!stdin) {
    await new Promise<void>((resolvePromise, reject) => {
      file.once('open', () => resolvePromise());
      file.once('error', (error: Error) =>
        reject(new CopyForgeError('CF_INPUT_READ_FAILED', `Cannot read '${path}': ${error.message}`, { cause: error })),
      );
    });
  }
  const input = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  const format = stdin || isJsonLinesPath(path) ? 'jsonl' : 'text';
  const source = stdin ? 'stdin' : basename(path);
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber++;
      const line = lineNumber === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
      if (line.trim() === '') continue;
      yield { format, value: line, fallbackId: `${source}:${lineNumber}`, source };
    }
  } catch (error) {
    throw new CopyForgeError('CF_INPUT_READ_FAILED', `Cannot read '${path}': ${(error as Error).message}`, {
      cause: error,
    });
  } finally {
    lines.close();
    if (!stdin) file.destroy();
  }
}

/** Raw items from any {@link CorpusSource}, in order. */
export async function* readCorpusSource(source: CorpusSource, name = 'input'): AsyncGenerator<RawItem> {
  if (typeof source === 'string') {
    yield* readCorpusFile(source);
    return;
  }
  if (isCorpusFiles(source)) {
    for (const path of source.paths) yield* readCorpusFile(path);
    return;
  }
  let index = 0;
  for await (const record of source as AsyncIterable<unknown>) {
    yield { format: 'record', value: record, fallbackId: `${name}:${index}`, source: name };
    index++;
  }
}

function globToRegExp(pattern: string): RegExp {
  let expression = '';
  for (let index = 0; index < pattern.length; index++) {
    const character = pattern[index]!;
    if (character === '*' && pattern[index + 1] === '*') {
      expression += pattern[index + 2] === '/' ? '(?:.*/)?' : '.*';
      index += pattern[index + 2] === '/' ? 2 : 1;
    } else if (character === '*') expression += '[^/]*';
    else if (character === '?') expression += '[^/]';
    else expression += character.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${expression}$`);
}

async function walk(directory: string): Promise<string[]> {
  const entries = await readdir(directory, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(directory, entry.name);
    if (entry.isDirectory()) files.push(...(await walk(path)));
    else if (entry.isFile()) files.push(path);
  }
  return files;
}

/**
 * Expands paths and globs (`*`, `?`, `**`) into a sorted list of files. A plain path must
 * exist; a glob that matches nothing is an error (`CF_INPUT_READ_FAILED`); `-` (standard
 * input) is kept as is.
 *
 * @example
 * await expandInputs(['data/*.jsonl.gz', 'extra.txt']);
 */
export async function expandInputs(patterns: readonly string[]): Promise<string[]> {
  const files: string[] = [];
  for (const pattern of patterns) {
    if (pattern === '-') {
      files.push(pattern);
      continue;
    }
    if (!/[*?]/.test(pattern)) {
      try {
        await stat(pattern);
      } catch (error) {
        throw new CopyForgeError('CF_INPUT_READ_FAILED', `Cannot read '${pattern}': it does not exist.`, {
          cause: error,
        });
      }
      files.push(pattern);
      continue;
    }
    const parts = pattern.split('/');
    const firstMagic = parts.findIndex((part) => /[*?]/.test(part));
    const base = parts.slice(0, firstMagic).join('/') || '.';
    const matcher = globToRegExp(parts.slice(firstMagic).join('/'));
    let candidates: string[] = [];
    try {
      candidates = await walk(base);
    } catch {
      candidates = [];
    }
    const matched = candidates
      .filter((path) => matcher.test(relative(resolve(base), resolve(path)).split(sep).join('/')))
      .sort();
    if (matched.length === 0) throw new CopyForgeError('CF_INPUT_READ_FAILED', `No file matches '${pattern}'.`);
    files.push(...matched);
  }
  return files;
}
