import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** The installed package's root folder (where package.json and data/ live), from source or dist alike. */
export function packageRoot(): string {
  if (cached) return cached;
  let directory = dirname(fileURLToPath(import.meta.url));
  while (true) {
    const candidate = join(directory, 'package.json');
    if (existsSync(candidate) && JSON.parse(readFileSync(candidate, 'utf8')).name === 'copyforge') {
      cached = directory;
      return directory;
    }
    const parent = dirname(directory);
    if (parent === directory) throw new Error('Cannot find the copyforge package root.');
    directory = parent;
  }
}

/** Path of the bundled sample notes. */
export function sampleNotesPath(): string {
  return join(packageRoot(), 'data', 'sample-notes.jsonl');
}
