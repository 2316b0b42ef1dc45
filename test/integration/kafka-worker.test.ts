// The Kafka adapter against a real broker: the local one started by
// kafka-global-setup.ts, or the cluster in KAFKA_BROKERS. The forge uses a mock
// backend on purpose: these tests are about delivery, not text quality.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { resolve } from 'node:path';
import { logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafkaWorker, type KafkaWorker, type KafkaWorkerOptions } from '../../adapters/kafka/index.js';
import {
  collect,
  createMockForge,
  createTopics,
  header,
  kafkaBrokers,
  noteEvent,
  noteIdsOf,
  produce,
  uniqueTopics,
} from './kafka-helpers.js';

const workers: KafkaWorker[] = [];
const children: ChildProcess[] = [];

afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(workers.splice(0).map((worker) => worker.stop({ deadlineMs: 2000 })));
});

async function startWorker(options: Omit<KafkaWorkerOptions, 'brokers' | 'forge'> & { delayMs?: number }) {
  const { delayMs, ...rest } = options;
  const worker = createKafkaWorker({
    brokers: kafkaBrokers(),
    forge: createMockForge(delayMs),
    kafka: { logLevel: logLevel.NOTHING },
    ...rest,
  });
  workers.push(worker);
  await worker.start();
  return worker;
}

async function startWorkerProcess(settings: object): Promise<ChildProcess> {
  const child = spawn(process.execPath, [resolve(import.meta.dirname, 'fixtures/kafka-worker-process.mjs')], {
    env: { ...process.env, WORKER_SETTINGS: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  while (!output.includes('ready')) {
    if (child.exitCode !== null) throw new Error(`worker process exited with ${child.exitCode}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return child;
}

describe('Kafka worker', () => {
  it('turns every valid event into one output and every invalid one into a dead letter with its reason', async () => {
    const topics = uniqueTopics('valid-invalid');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 3);
    const valid = Array.from({ length: 20 }, (_, index) => JSON.stringify(noteEvent(index)));
    const invalid = [
      '{not json',
      JSON.stringify({ ...noteEvent(100), schemaVersion: 7 }),
      JSON.stringify(noteEvent(101, { body: '' })),
      JSON.stringify(noteEvent(102, { body: 'x'.repeat(9000) })),
      null,
    ];
    await produce(topics.inputTopic, [...valid.slice(0, 10), ...invalid, ...valid.slice(10)]);
    const worker = await startWorker({ ...topics, maxMessageBytes: 8192 });
    const [outputs, deadLetters] = await Promise.all([
      collect(topics.outputTopic, (messages) => messages.length >= 20),
      collect(topics.deadLetterTopic, (messages) => messages.length >= 5),
    ]);
    expect(noteIdsOf(outputs).sort()).toEqual(Array.from({ length: 20 }, (_, index) => `note-${index}`).sort());
    const first = outputs[0];
    expect(first?.key?.toString()).toBe(noteIdsOf(outputs)[0]);
    expect(header(first!, 'copyforge-schema-version')).toBe('1');
    expect(header(first!, 'content-type')).toBe('application/json');
    expect(header(first!, 'copyforge-source-topic')).toBe(topics.inputTopic);
    expect(JSON.parse(String(first?.value)).creatives).toHaveLength(2);
    expect(deadLetters.map((message) => header(message, 'copyforge-error-code')).sort()).toEqual(
      [
        'CF_INVALID_EVENT',
        'CF_INVALID_JSON',
        'CF_INVALID_JSON',
        'CF_PAYLOAD_TOO_LARGE',
        'CF_UNKNOWN_SCHEMA_VERSION',
      ].sort(),
    );
    for (const message of deadLetters) {
      expect(header(message, 'copyforge-error-message')).toBeTruthy();
      expect(header(message, 'copyforge-source-offset')).toMatch(/^\d+$/);
    }
    // The original bytes are kept for replay.
    expect(deadLetters.map((message) => message.value?.toString() ?? null)).toContain('{not json');
    expect(worker.metrics()).toMatchObject({ processed: 20, deadLettered: 5, inFlight: 0 });
  });

  it('two workers in one group split the partitions and together process everything once', async () => {
    const topics = uniqueTopics('two-workers');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 4);
    const first = await startWorker({ ...topics, delayMs: 20 });
    const second = await startWorker({ ...topics, delayMs: 20 });
    await produce(
      topics.inputTopic,
      Array.from({ length: 40 }, (_, index) => JSON.stringify(noteEvent(index))),
    );
    const outputs = await collect(topics.outputTopic, (messages) => messages.length >= 40, { settleMs: 3000 });
    const ids = noteIdsOf(outputs);
    expect(ids).toHaveLength(40);
    expect(new Set(ids).size).toBe(40);
    expect(first.metrics().processed).toBeGreaterThan(0);
    expect(second.metrics().processed).toBeGreaterThan(0);
    expect(first.metrics().processed + second.metrics().processed).toBe(40);
  });

  it('does not get evicted when each note takes longer than the session timeout', async () => {
    const topics = uniqueTopics('slow-notes');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 1);
    const worker = await startWorker({
      ...topics,
      delayMs: 8000,
      maxInFlight: 1,
      sessionTimeoutMs: 6000,
      heartbeatIntervalMs: 1000,
    });
    await produce(topics.inputTopic, [JSON.stringify(noteEvent(1)), JSON.stringify(noteEvent(2))]);
    const outputs = await collect(topics.outputTopic, (messages) => messages.length >= 2, {
      timeoutMs: 60_000,
      settleMs: 2000,
    });
    expect(noteIdsOf(outputs).sort()).toEqual(['note-1', 'note-2']);
    expect(worker.metrics().groupJoins).toBe(1);
  });

  for (const delivery of ['at-least-once', 'exactly-once'] as const) {
    it(`${delivery}: recovers without manual action when the broker restarts mid-stream, losing nothing`, async () => {
      if (!process.env.COPYFORGE_LOCAL_KAFKA_PORT) {
        throw new Error(
          'This test restarts the broker, so it needs the local one: unset KAFKA_BROKERS to let the tests start it.',
        );
      }
      // @ts-expect-error plain ESM script without types
      const broker = await import('../../scripts/kafka/broker.mjs');
      const port = Number(process.env.COPYFORGE_LOCAL_KAFKA_PORT);
      const topics = uniqueTopics(`broker-restart-${delivery}`);
      await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 2);
      // Long enough that the worker runs ~15 s past the restart: exactly-once consumers used to
      // crash for good 10–15 s after the broker was back ("Failed to find group coordinator").
      const total = 40;
      await produce(
        topics.inputTopic,
        Array.from({ length: total }, (_, index) => JSON.stringify(noteEvent(index))),
      );
      const worker = await startWorker({
        ...topics,
        delivery,
        delayMs: 800,
        sessionTimeoutMs: 10_000,
        heartbeatIntervalMs: 1000,
      });
      let failure: unknown;
      worker.done().catch((error: unknown) => {
        failure = error;
      });
      await collect(topics.outputTopic, (messages) => messages.length >= 5, { settleMs: 0 });
      await broker.stopBroker({ port, log: () => {} });
      await new Promise((resolve) => setTimeout(resolve, 2000));
      await broker.startBroker({ port, wipe: false, log: () => {} });
      const outputs = await collect(topics.outputTopic, (messages) => new Set(noteIdsOf(messages)).size >= total, {
        timeoutMs: 120_000,
        settleMs: 3000,
      });
      expect(new Set(noteIdsOf(outputs)).size).toBe(total);
      // Exactly-once: a read_committed consumer sees no note twice across the restart.
      if (delivery === 'exactly-once') expect(noteIdsOf(outputs)).toHaveLength(total);
      // The worker came through on its own: it did not stop with CF_KAFKA_FAILED.
      expect(failure).toBeUndefined();
    });
  }

  for (const delivery of ['at-least-once', 'exactly-once'] as const) {
    it(`${delivery}: a worker killed with SIGKILL mid-stream and restarted loses no note`, async () => {
      const topics = uniqueTopics(`kill-${delivery}`);
      await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 2);
      const total = 30;
      await produce(
        topics.inputTopic,
        Array.from({ length: total }, (_, index) => JSON.stringify(noteEvent(index))),
      );
      const settings = {
        delayMs: 150,
        worker: {
          brokers: kafkaBrokers(),
          ...topics,
          delivery,
          sessionTimeoutMs: 6000,
          heartbeatIntervalMs: 1000,
          kafka: { logLevel: 0 },
        },
      };
      const firstProcess = await startWorkerProcess(settings);
      await collect(topics.outputTopic, (messages) => messages.length >= 8, { settleMs: 0 });
      firstProcess.kill('SIGKILL');
      await once(firstProcess, 'exit');
      const secondProcess = await startWorkerProcess(settings);
      const outputs = await collect(topics.outputTopic, (messages) => new Set(noteIdsOf(messages)).size >= total, {
        timeoutMs: 120_000,
        settleMs: 3000,
      });
      const ids = noteIdsOf(outputs);
      expect(new Set(ids).size).toBe(total);
      if (delivery === 'exactly-once') expect(ids).toHaveLength(total);
      secondProcess.kill('SIGTERM');
      await once(secondProcess, 'exit');
    });
  }
});
