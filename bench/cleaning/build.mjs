// Bundles the cleaning code the way the package ships it: an ESM bundle plus
// corpus-worker.js next to it (the worker file tsup should emit beside dist/index.js).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

export async function buildCleaning(directory) {
  mkdirSync(directory, { recursive: true });
  // No package.json with type=module here: the worker is CommonJS, the entry .mjs.
  writeFileSync(join(directory, 'package.json'), '{}\n');
  const common = { bundle: true, platform: 'node', target: 'node20', logLevel: 'warning' };
  await build({
    ...common,
    entryPoints: ['bench/cleaning/entry.ts'],
    format: 'esm',
    outfile: join(directory, 'clean.mjs'),
  });
  await build({
    ...common,
    entryPoints: ['src/corpus/worker-entry.ts'],
    format: 'cjs',
    outfile: join(directory, 'corpus-worker.js'),
  });
  return join(directory, 'clean.mjs');
}
