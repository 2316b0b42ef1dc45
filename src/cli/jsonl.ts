import { createReadStream, createWriteStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { createGunzip } from 'node:zlib';
import { CopyForgeError } from '../core/errors.js';

/** One line of a JSONL input: parsed, or the reason it could not be. */
export type JsonLine = { line: number; value: unknown } | { line: number; error: CopyForgeError; text: string };

/**
 * Reads JSON Lines from a path (`.gz` is decompressed) or from stdin when the path is
 * `-`. Blank lines are skipped; a line that is not JSON is reported, not fatal.
 */
export async function* readJsonLines(path: string): AsyncGenerator<JsonLine> {
  let input: NodeJS.ReadableStream;
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
    input = path.endsWith('.gz') ? file.pipe(createGunzip()) : file;
  }
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let lineNumber = 0;
  for await (const text of lines) {
    lineNumber++;
    if (text.trim() === '') continue;
    try {
      yield { line: lineNumber, value: JSON.parse(text) };
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
}

/** A JSONL sink writing to a file, or stdout when the path is `-`. */
export interface JsonLinesWriter {
  /** Writes one value as a line, waiting when the stream is full (backpressure). */
  write(value: unknown): Promise<void>;
  /** Flushes and closes (stdout is left open). */
  close(): Promise<void>;
}

/** Opens a JSONL sink; see {@link JsonLinesWriter}. */
export function openJsonLinesWriter(path: string): JsonLinesWriter {
  const stream = path === '-' ? process.stdout : createWriteStream(path);
  return {
    async write(value) {
      if (!stream.write(`${JSON.stringify(value)}\n`)) {
        await new Promise<void>((resolve) => stream.once('drain', () => resolve()));
      }
    },
    async close() {
      if (stream === process.stdout) return;
      await new Promise<void>((resolve, reject) =>
        stream.end((error?: Error | null) => (error ? reject(error) : resolve())),
      );
    },
  };
}
