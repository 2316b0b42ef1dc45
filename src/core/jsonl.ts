import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { CopyForgeError } from './errors.js';

/** One line of a JSONL input: parsed, or the reason it could not be. */
/** One line of a JSON Lines file: its parsed value (and its text), or why it is not JSON. */
export type JsonLine =
  | { line: number; value: unknown; text: string }
  | { line: number; error: CopyForgeError; text: string };

/**
 * Reads JSON Lines from a path (`.gz` is decompressed) or from stdin when the path is
 * `-`. Blank lines are skipped; a line that is not JSON is reported, not fatal.
 */
export async function* readJsonLines(path: string): AsyncGenerator<JsonLine> {
  let input: NodeJS.ReadableStream;
  const streams: NodeJS.ReadableStream[] = [];
  if (path === '-') {
    input = process.stdin;
  } else {
    const file = createReadStream(path);
    await new Promise<void>((resolve, reject) => {
      file.once('open', () => resolve());
      file.once('error', (error) =>
        reject(new CopyForgeError('CF_INPUT_READ_FAILED', `Cannot read '${path}': ${error.message}`, { cause: error })),
      );
    });
    streams.push(file);
    input = file;
    if (path.endsWith('.gz')) {
      input = file.pipe(createGunzip());
      streams.push(input);
    }
  }
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  // A read error after opening (a directory, a truncated or fake .gz) ends the lines and is
  // reported once, coded, after the lines read so far.
  let failure: Error | undefined;
  const fail = (error: Error) => {
    failure ??= error;
    lines.close();
  };
  for (const stream of streams) stream.on('error', fail);
  let lineNumber = 0;
  try {
    for await (const raw of lines) {
      lineNumber++;
      // A UTF-8 byte-order mark is not part of the first line's JSON.
      const text = lineNumber === 1 ? raw.replace(/^\uFEFF/u, '') : raw;
      if (text.trim() === '') continue;
      try {
        yield { line: lineNumber, value: JSON.parse(text), text };
      } catch (error) {
        yield {
          line: lineNumber,
          text,
          error: new CopyForgeError('CF_INVALID_JSON', `Line ${lineNumber} is not JSON: ${(error as Error).message}`, {
            cause: error,
          }),
        };
      }
    }
    // A truncated .gz errors only at its end, after the last line: wait for the streams.
    for (const stream of streams) await finished(stream).catch(fail);
  } catch (error) {
    failure ??= error as Error;
  } finally {
    for (const stream of streams) stream.off('error', fail);
  }
  if (failure) {
    throw new CopyForgeError(
      'CF_INPUT_READ_FAILED',
      `Cannot read '${path}' after line ${lineNumber}: ${failure.message}`,
      { cause: failure, details: { path, line: lineNumber } },
    );
  }
}

/** A JSONL sink writing to a file, or stdout when the path is `-`. */
export interface JsonLinesWriter {
  /** Writes one value as a line, waiting when the stream is full (backpressure). */
  write(value: unknown): Promise<void>;
  /** Flushes and closes (stdout is left open). */
  close(): Promise<void>;
}

/**
 * Opens a JSONL sink; see {@link JsonLinesWriter}. A path whose folder is missing or is a
 * file fails here, before any work, with `CF_OUTPUT_WRITE_FAILED`; a write error later
 * rejects the next `write` or `close` with the same code (never an unhandled 'error' event).
 */
export function openJsonLinesWriter(path: string): JsonLinesWriter {
  if (path !== '-') checkOutputPath(path);
  const stream = path === '-' ? process.stdout : createWriteStream(path);
  let failure: Error | undefined;
  const coded = (error: Error) =>
    new CopyForgeError('CF_OUTPUT_WRITE_FAILED', `Cannot write '${path}': ${error.message}`, { cause: error });
  if (stream !== process.stdout) stream.on('error', (error: Error) => (failure ??= error));
  return {
    async write(value) {
      if (failure) throw coded(failure);
      if (!stream.write(`${JSON.stringify(value)}\n`)) {
        await new Promise<void>((resolve) => {
          const done = () => {
            stream.off('drain', done);
            stream.off('error', done);
            resolve();
          };
          stream.once('drain', done);
          stream.once('error', done);
        });
        if (failure) throw coded(failure);
      }
    },
    async close() {
      if (stream === process.stdout) return;
      if (failure) throw coded(failure);
      await new Promise<void>((resolve, reject) =>
        stream.end((error?: Error | null) =>
          error || failure ? reject(coded(error ?? (failure as Error))) : resolve(),
        ),
      );
    },
  };
}

/**
 * Checks that `path` can be created as a file: its folder exists and is a folder, and the
 * path itself is not a folder. Throws `CF_OUTPUT_WRITE_FAILED` naming the path.
 */
export function checkOutputPath(path: string): void {
  const folder = dirname(resolve(path));
  const problem = !existsSync(folder)
    ? `the folder '${folder}' does not exist`
    : !statSync(folder).isDirectory()
      ? `'${folder}' is a file, not a folder`
      : existsSync(path) && statSync(path).isDirectory()
        ? 'it is a folder'
        : undefined;
  if (problem) {
    throw new CopyForgeError('CF_OUTPUT_WRITE_FAILED', `Cannot write '${path}': ${problem}.`, {
      issues: [{ path: '/out', rule: 'writable', message: `'--out' ${path}: ${problem}` }],
    });
  }
}
