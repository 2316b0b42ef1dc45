import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadWorkerConfig, workerConfigFlags } from './worker-config.js';

function configFile(content: unknown): string {
  const directory = mkdtempSync(join(tmpdir(), 'copyforge-worker-config-'));
  const path = join(directory, 'worker.json');
  writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

describe('worker config', () => {
  it('validates the file against the published schema, naming the field', async () => {
    for (const [content, path] of [
      [{ brokers: [] }, '/brokers'],
      [{ delivery: 'twice' }, '/delivery'],
      [{ maxInFlight: 0 }, '/maxInFlight'],
      [{ backend: { apiKey: 'secret' } }, '/backend/apiKey'],
      [{ backend: { apiKeyEnv: 'not a name' } }, '/backend/apiKeyEnv'],
      [{ topic: 'x' }, '/topic'],
    ] as const) {
      await expect(loadWorkerConfig(configFile(content)), JSON.stringify(content)).rejects.toMatchObject({
        code: 'CF_INVALID_CONFIG',
        issues: expect.arrayContaining([expect.objectContaining({ path })]),
      });
    }
    await expect(loadWorkerConfig(configFile('{nope'))).rejects.toMatchObject({ code: 'CF_INVALID_JSON' });
    await expect(loadWorkerConfig('/nonexistent/worker.json')).rejects.toMatchObject({ code: 'CF_INPUT_READ_FAILED' });
  });

  it('maps every field to its flag, resolving paths against the file and leaving served model names alone', async () => {
    const config = await loadWorkerConfig(
      configFile({
        brokers: ['a:9092', 'b:9092'],
        groupId: 'g',
        inputTopic: 'in',
        outputTopic: 'out',
        deadLetterTopic: 'dlq',
        delivery: 'exactly-once',
        maxInFlight: 4,
        titles: 6,
        rewardModels: ['usability', './rm.mjs', '@acme/rm'],
        usabilityWeights: 'weights.json',
        backend: {
          type: 'openai-compatible',
          model: 'qwen2.5',
          baseUrl: 'http://m:8080/v1',
          apiKeyEnv: 'KEY',
          sequences: 8,
        },
      }),
    );
    expect(workerConfigFlags(config, '/etc/copyforge', {})).toEqual({
      brokers: 'a:9092,b:9092',
      'group-id': 'g',
      'input-topic': 'in',
      'output-topic': 'out',
      'dead-letter-topic': 'dlq',
      'exactly-once': true,
      'max-in-flight': '4',
      titles: '6',
      rm: ['usability', '/etc/copyforge/rm.mjs', '@acme/rm'],
      'usability-weights': '/etc/copyforge/weights.json',
      backend: 'openai-compatible',
      model: 'qwen2.5',
      'base-url': 'http://m:8080/v1',
      'api-key-env': 'KEY',
      sequences: '8',
    });
    const local = workerConfigFlags(
      { backend: { model: 'models/m.gguf', lora: ['a.gguf'], defaultAdapter: false, threads: 2 } },
      '/srv',
      {},
    );
    expect(local).toEqual({
      model: '/srv/models/m.gguf',
      lora: ['/srv/a.gguf'],
      'no-default-adapter': true,
      threads: '2',
    });
  });

  it('lets the environment override brokers, backend and base URL', () => {
    const flags = workerConfigFlags(
      { brokers: ['file:9092'], backend: { type: 'llama-cpp', baseUrl: 'http://file/v1' } },
      '/srv',
      { KAFKA_BROKERS: 'env:9092', COPYFORGE_BACKEND: 'openai-compatible', COPYFORGE_BASE_URL: 'http://env/v1' },
    );
    expect(flags).toEqual({ brokers: 'env:9092' });
  });
});

describe('the example worker config', () => {
  it('is valid and names a model server', async () => {
    const config = await loadWorkerConfig(join(import.meta.dirname, '../../examples/kafka-worker/worker.json'));
    expect(config.backend?.type).toBe('openai-compatible');
    expect(workerConfigFlags(config, '/srv', {})['api-key-env']).toBe('MODEL_API_KEY');
  });
});
