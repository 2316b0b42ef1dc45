/** Options for {@link createProgress}. */
export interface ProgressOptions {
  /** What is being counted, e.g. `notes`. */
  unit: string;
  /** Expected total, when known; shows a bar and an ETA. */
  total?: number;
  /** Print nothing. @default false */
  quiet?: boolean;
  /** Where to write. @default process.stderr */
  stream?: NodeJS.WriteStream;
  /** Seconds between plain lines when the stream is not a TTY. @default 5 */
  plainIntervalSeconds?: number;
}

/** A progress reporter for long CLI work. */
export interface Progress {
  /** Adds `count` finished items; `note` is shown after the counters (e.g. `kept 93%`). */
  tick(count?: number, note?: string): void;
  /** Prints the final line. */
  done(note?: string): void;
}

function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds < 60) return `${Math.round(seconds)}s`;
  const minutes = Math.floor(seconds / 60);
  return `${minutes}m${String(Math.round(seconds % 60)).padStart(2, '0')}s`;
}

/**
 * A progress bar on a TTY, plain periodic lines otherwise (CI logs stay readable),
 * nothing with `quiet`. Writes to stderr so stdout can carry JSONL.
 */
export function createProgress(options: ProgressOptions): Progress {
  const stream = options.stream ?? process.stderr;
  const started = performance.now();
  const interactive = Boolean(stream.isTTY);
  const intervalMs = (options.plainIntervalSeconds ?? 5) * 1000;
  let count = 0;
  let lastNote = '';
  let lastPrinted = 0;

  const line = (): string => {
    const elapsed = (performance.now() - started) / 1000;
    const rate = elapsed > 0 ? count / elapsed : 0;
    const parts: string[] = [];
    if (options.total !== undefined && options.total > 0) {
      const fraction = Math.min(1, count / options.total);
      const width = 24;
      const filled = Math.round(fraction * width);
      parts.push(`[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${count}/${options.total} ${options.unit}`);
      const remaining = rate > 0 ? (options.total - count) / rate : Number.POSITIVE_INFINITY;
      parts.push(`${rate.toFixed(1)} ${options.unit}/s`, `ETA ${formatDuration(remaining)}`);
    } else {
      parts.push(`${count} ${options.unit}`, `${rate.toFixed(1)} ${options.unit}/s`);
    }
    if (lastNote) parts.push(lastNote);
    return parts.join('  ');
  };

  return {
    tick(increment = 1, note) {
      count += increment;
      if (note !== undefined) lastNote = note;
      if (options.quiet) return;
      const now = performance.now();
      if (interactive) {
        if (now - lastPrinted < 100) return;
        stream.write(`\r${line()}\u001b[K`);
      } else {
        if (now - lastPrinted < intervalMs) return;
        stream.write(`${line()}\n`);
      }
      lastPrinted = now;
    },
    done(note) {
      if (note !== undefined) lastNote = note;
      if (options.quiet) return;
      stream.write(interactive ? `\r${line()}\u001b[K\n` : `${line()}\n`);
    },
  };
}
