import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const { version } = JSON.parse(readFileSync('./package.json', 'utf8')) as { version: string };
const define = { __COPYFORGE_VERSION__: JSON.stringify(version) };

export default defineConfig({
  define,
  // First-party plugins import 'copyforge' as a third party would; resolve it to the source.
  resolve: { alias: { copyforge: fileURLToPath(new URL('./src/index.ts', import.meta.url)) } },
  test: {
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.ts', 'adapters/**/*.test.ts', 'plugins/**/*.test.ts', 'test/unit/**/*.test.ts'],
          exclude: ['**/node_modules/**', '**/dist/**'],
        },
      },
      {
        extends: true,
        test: {
          // Integration tests need a real broker, real model weights or the built package:
          // one fork at a time so they do not fight over 2 cores.
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          // Starts a local Kafka broker unless KAFKA_BROKERS names a cluster, and makes sure
          // the default model is in the cache.
          globalSetup: [
            'test/integration/model-global-setup.ts',
            'test/integration/kafka-global-setup.ts',
            'test/integration/llama-server-global-setup.ts',
            'test/integration/training-global-setup.ts',
          ],
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 180_000,
          hookTimeout: 240_000,
        },
      },
    ],
  },
});
