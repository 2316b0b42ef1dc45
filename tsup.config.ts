import { readFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

const { version } = JSON.parse(readFileSync('./package.json', 'utf8')) as { version: string };
const define = { __COPYFORGE_VERSION__: JSON.stringify(version) };

// Heavy optional dependencies stay external and are loaded with import() on demand.
const external = ['node-llama-cpp', 'kafkajs'];

export default defineConfig([
  {
    entry: { index: 'src/index.ts', kafka: 'adapters/kafka/index.ts', test: 'src/testing/index.ts' },
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: true,
    shims: true,
    external,
    define,
    publicDir: false,
    async onSuccess() {
      const { copyFile, mkdir, readdir } = await import('node:fs/promises');
      await mkdir('dist/schemas', { recursive: true });
      for (const file of await readdir('src/schemas')) {
        if (file.endsWith('.schema.json')) await copyFile(`src/schemas/${file}`, `dist/schemas/${file}`);
      }
      // The Python side of `copyforge train sft` ships beside the code that runs it.
      await mkdir('dist/training/python', { recursive: true });
      for (const file of ['train_sft.py', 'requirements.txt']) {
        await copyFile(`src/training/python/${file}`, `dist/training/python/${file}`);
      }
    },
  },
  {
    entry: { cli: 'src/cli/bin.ts', 'corpus-worker': 'src/corpus/worker-entry.ts' },
    format: ['esm'],
    clean: false,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    external,
    define,
  },
]);
