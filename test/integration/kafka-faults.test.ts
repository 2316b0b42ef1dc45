// Faults of the streaming worker on the real broker (kafka-global-setup.ts): a consumer crash
// kafkajs cannot restart must stop the worker loudly (coded error, event, non-zero CLI exit)
// and lose nothing; an input near the size limit must not become a poison pill for the
// dead-letter topic.
import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ConfigResourceTypes, logLevel } from 'kafkajs';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafkaWorker, type KafkaWorker, type KafkaWorkerOptions } from '../../adapters/kafka/worker.js';
import { CopyForgeEvents } from '../../src/core/events.js';
import {
  collect,
  committedOffsets,
  createMockForge,
  createTopics,
  endOffsets,
  header,
  kafkaBrokers,
  kafkaClient,
  noteEvent,
  noteIdsOf,
  produce,
  uniqueTopics,
} from './kafka-helpers.js';

const root = resolve(import.meta.dirname, '../..');
const workers: KafkaWorker[] = [];

afterEach(async () => {
  for (const worker of workers.splice(0)) await worker.stop({ deadlineMs: 1000 }).catch(() => {});
});

function startWorker(
  topics: ReturnType<typeof uniqueTopics>,
  events = new CopyForgeEvents(),
  options: Partial<KafkaWorkerOptions> & { delayMs?: number } = {},
) {
  const { delayMs, ...rest } = options;
  const worker = createKafkaWorker({
    brokers: kafkaBrokers(),
    forge: createMockForge(delayMs),
    kafka: { logLevel: logLevel.NOTHING },
    events,
    ...topics,
    ...rest,
  });
  workers.push(worker);
  return worker;
}

async function setTopicConfig(topic: string, name: string, value: string): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.alterConfigs({
      validateOnly: false,
      resources: [{ type: ConfigResourceTypes.TOPIC, name: topic, configEntries: [{ name, value }] }],
    });
  } finally {
    await admin.disconnect();
  }
}

function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not happen within ${ms} ms`)), ms);
    }),
  ]);
}

describe('Kafka worker faults', () => {
  it('stops with CF_KAFKA_FAILED and an event when the consumer crashes for good, committing nothing', async () => {
    const topics = uniqueTopics('crash');
    // Every output is larger than this: producing it fails with MESSAGE_TOO_LARGE, a
    // non-retriable error inside eachBatch, which kafkajs does not restart from.
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 1, {
      [topics.outputTopic]: { 'max.message.bytes': '200' },
    });
    await produce(topics.inputTopic, [JSON.stringify(noteEvent(1))]);
    const events = new CopyForgeEvents();
    const crashes: { error: string; restarting: boolean }[] = [];
    events.on('kafka.consumer-crashed', ({ payload }) => void crashes.push(payload));
    const worker = startWorker(topics, events);
    await worker.start();
    const failure = await within(
      worker.done().then(
        () => undefined,
        (error: unknown) => error,
      ),
      60_000,
      'the crash',
    );
    expect(failure).toMatchObject({ code: 'CF_KAFKA_FAILED', message: expect.stringMatching(/cannot restart/) });
    expect(crashes.at(-1)).toMatchObject({ restarting: false });
    expect(worker.metrics().crashes).toBeGreaterThanOrEqual(1);
    expect(worker.metrics().processed).toBe(0);
    // Nothing was lost: the offset was not committed, and once the topic takes the output a
    // new worker delivers the note.
    expect(Object.values(await committedOffsets(topics.groupId, topics.inputTopic))).toEqual(['-1']);
    await setTopicConfig(topics.outputTopic, 'max.message.bytes', '1048588');
    await startWorker(topics).start();
    const outputs = await collect(topics.outputTopic, (messages) => messages.length >= 1, { timeoutMs: 60_000 });
    expect(noteIdsOf(outputs)).toEqual(['note-1']);
  });

  it('the CLI exits non-zero with the code when the consumer crashes for good', async () => {
    const cli = join(root, 'dist/cli.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` before the integration tests.`);
    const topics = uniqueTopics('crash-cli');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 1, {
      [topics.outputTopic]: { 'max.message.bytes': '200' },
    });
    await produce(topics.inputTopic, [JSON.stringify(noteEvent(1))]);
    // The model is a plugin's backend (no weights needed): --backend <plugin>#echo.
    const plugin = join(mkdtempSync(join(tmpdir(), 'copyforge-crash-cli-')), 'plugin.mjs');
    copyFileSync(join(root, 'test/fixtures/backend-plugin.mjs'), plugin);
    const child = spawn(
      process.execPath,
      [
        cli,
        'kafka',
        ...['--brokers', kafkaBrokers().join(','), '--group-id', topics.groupId],
        ...['--input-topic', topics.inputTopic, '--output-topic', topics.outputTopic],
        ...['--dead-letter-topic', topics.deadLetterTopic, '--titles', '2', '--rm', 'none'],
        ...['--backend', `${plugin}#echo`],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const code = await within(
      new Promise<number | null>((resolveExit) => child.once('exit', (exitCode) => resolveExit(exitCode))),
      90_000,
      'the CLI exit',
    ).finally(() => child.kill('SIGKILL'));
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/consumer crashed \(not restartable\)/);
    expect(stderr).toMatch(/CF_KAFKA_FAILED/);
  });

  it('dead-letters an input near the size limit with its payload cut to fit, and keeps going', async () => {
    const topics = uniqueTopics('near-limit');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 1);
    // Fits the topic (1,048,588 bytes by default) but not with ~300 bytes of error headers.
    const big = Buffer.alloc(1_048_400, 'x');
    // One produce request each: together they would exceed the broker's request limit.
    await produce(topics.inputTopic, [big]);
    await produce(topics.inputTopic, [JSON.stringify(noteEvent(2))], 'second');
    await startWorker(topics).start();
    const outputs = await collect(topics.outputTopic, (messages) => messages.length >= 1, { timeoutMs: 60_000 });
    expect(noteIdsOf(outputs)).toEqual(['note-2']);
    const [letter] = await collect(topics.deadLetterTopic, (messages) => messages.length >= 1, { timeoutMs: 30_000 });
    expect(header(letter as never, 'copyforge-error-code')).toBe('CF_PAYLOAD_TOO_LARGE');
    expect(header(letter as never, 'copyforge-payload-truncated')).toBe('1048400');
    expect(header(letter as never, 'copyforge-source-offset')).toBe('0');
    expect(letter?.value?.length).toBeGreaterThan(900_000);
    expect(letter?.value?.length).toBeLessThanOrEqual(1_000_000);
    expect(letter?.value?.subarray(0, 10).toString()).toBe('xxxxxxxxxx');
  });

  it('sends the dead letter without payload when the dead-letter topic refuses it as too large', async () => {
    const topics = uniqueTopics('small-dlq');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 1, {
      [topics.deadLetterTopic]: { 'max.message.bytes': '2000' },
    });
    await produce(topics.inputTopic, [`{${'x'.repeat(4999)}`, JSON.stringify(noteEvent(3))]);
    await startWorker(topics).start();
    const outputs = await collect(topics.outputTopic, (messages) => messages.length >= 1, { timeoutMs: 60_000 });
    expect(noteIdsOf(outputs)).toEqual(['note-3']);
    const [letter] = await collect(topics.deadLetterTopic, (messages) => messages.length >= 1, { timeoutMs: 30_000 });
    expect(header(letter as never, 'copyforge-error-code')).toBe('CF_INVALID_JSON');
    expect(header(letter as never, 'copyforge-payload-truncated')).toBe('5000');
    expect(letter?.value).toBeNull();
    expect(header(letter as never, 'copyforge-source-offset')).toBe('0');
  });

  it('processes events with fields it does not know and counts them, instead of dead-lettering them', async () => {
    const topics = uniqueTopics('unknown-fields');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 1);
    const withExtras = {
      ...noteEvent(4),
      source: 'app',
      note: { ...noteEvent(4).note, likes: 12, author: { id: 'a1', followers: 300 } },
    };
    await produce(topics.inputTopic, [JSON.stringify(withExtras), JSON.stringify(noteEvent(5))]);
    const worker = startWorker(topics);
    await worker.start();
    const outputs = await collect(topics.outputTopic, (messages) => messages.length >= 2, { timeoutMs: 60_000 });
    expect(noteIdsOf(outputs).sort()).toEqual(['note-4', 'note-5']);
    expect(worker.metrics()).toMatchObject({ processed: 2, deadLettered: 0, unknownFields: 1 });
  });

  it('exactly-once: a second worker joining mid-batch gets every note once, and the first lets go promptly', async () => {
    // The scenario that used to deliver duplicates: one partition, slow notes, a second member
    // joining while the first has a batch in hand. The first must stop at the heartbeat that
    // reports the rebalance (not finish its batch), and whoever owns the partition next fences
    // the old producer before trusting the committed offset.
    const topics = uniqueTopics('scale-out');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 1);
    const total = 24;
    await produce(
      topics.inputTopic,
      Array.from({ length: total }, (_, index) => JSON.stringify(noteEvent(index))),
    );
    const settings: Partial<KafkaWorkerOptions> & { delayMs: number } = {
      delivery: 'exactly-once',
      delayMs: 2000,
      sessionTimeoutMs: 10_000,
      heartbeatIntervalMs: 1000,
    };
    const eventsA = new CopyForgeEvents();
    const released: string[] = [];
    eventsA.on('kafka.partition-released', ({ payload }) => void released.push(payload.reason));
    const a = startWorker(topics, eventsA, settings);
    await a.start();
    await within(
      new Promise<void>((resolveProcessed) => {
        eventsA.on('kafka.message-processed', () => {
          if (a.metrics().processed >= 4) resolveProcessed();
        });
      }),
      60_000,
      'four notes from the first worker',
    );
    const b = startWorker(topics, new CopyForgeEvents(), settings);
    // start() resolves once B has joined: the rebalance is done.
    await b.start();
    const processedAtJoin = a.metrics().processed + b.metrics().processed;
    const outputs = await collect(topics.outputTopic, (messages) => new Set(noteIdsOf(messages)).size >= total, {
      timeoutMs: 120_000,
      settleMs: 5000,
    });
    const ids = noteIdsOf(outputs);
    expect(new Set(ids).size).toBe(total);
    // read_committed sees each note once: no duplicate from the member that lost the partition.
    expect(ids.length).toBe(total);
    expect(a.metrics().processed + b.metrics().processed).toBe(total);
    expect(await committedOffsets(topics.groupId, topics.inputTopic)).toEqual(await endOffsets(topics.inputTopic));
    // A let go at the rebalance instead of holding the group until its batch of 24 was done.
    expect(released.length).toBeGreaterThanOrEqual(1);
    expect(released[0]).toMatch(/REBALANCE|rebalanc/i);
    expect(processedAtJoin).toBeLessThan(total - 4);
  });

  it('dead-letters an event with invalid UTF-8 inside a JSON string with a code, keeping its bytes, and goes on', async () => {
    const topics = uniqueTopics('bad-utf8');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 1);
    const json = JSON.stringify(noteEvent(6, { id: 'note-bad-utf8', title: 'TITLE' }));
    // 0xFF 0xFE is never UTF-8; Buffer#toString would have made it U+FFFD and processed the note.
    const [before, after] = json.split('TITLE') as [string, string];
    const bad = Buffer.concat([Buffer.from(before), Buffer.from([0xff, 0xfe]), Buffer.from(after)]);
    await produce(topics.inputTopic, [bad, JSON.stringify(noteEvent(7))]);
    await startWorker(topics).start();
    const outputs = await collect(topics.outputTopic, (messages) => messages.length >= 1, { timeoutMs: 60_000 });
    expect(noteIdsOf(outputs)).toEqual(['note-7']);
    const [letter] = await collect(topics.deadLetterTopic, (messages) => messages.length >= 1, { timeoutMs: 30_000 });
    expect(header(letter as never, 'copyforge-error-code')).toBe('CF_INVALID_EVENT');
    expect(letter?.value?.equals(bad)).toBe(true);
  });

  it('a note that hangs holds one generation slot until its deadline, then is dead-lettered CF_TIMEOUT; the rest flow past it', async () => {
    const topics = uniqueTopics('hang');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 1);
    const quick = createMockForge(300);
    // Never settles and ignores both its signal and its timeoutMs: the worker's own deadline must cut it.
    const forge = {
      generate: (note: Parameters<typeof quick.generate>[0], options?: Parameters<typeof quick.generate>[1]) =>
        note.id === 'note-hang' ? new Promise<never>(() => {}) : quick.generate(note, options),
    };
    await produce(topics.inputTopic, [
      JSON.stringify(noteEvent(0, { id: 'note-hang' })),
      ...Array.from({ length: 6 }, (_, index) => JSON.stringify(noteEvent(index + 1))),
    ]);
    const worker = startWorker(topics, new CopyForgeEvents(), { forge, noteTimeoutMs: 10_000, maxAttempts: 1 });
    await worker.start();
    const outputs = await collect(topics.outputTopic, (messages) => messages.length >= 6, {
      timeoutMs: 60_000,
      settleMs: 0,
    });
    expect(noteIdsOf(outputs).sort()).toEqual(['note-1', 'note-2', 'note-3', 'note-4', 'note-5', 'note-6']);
    // The six were delivered while the hanging note still held its slot (in offset order they come after it).
    expect(worker.metrics().deadLettered).toBe(0);
    const [letter] = await collect(topics.deadLetterTopic, (messages) => messages.length >= 1, { timeoutMs: 30_000 });
    expect(header(letter as never, 'copyforge-error-code')).toBe('CF_TIMEOUT');
    expect(header(letter as never, 'copyforge-source-offset')).toBe('0');
    // Everything is committed once the hanging note is dead-lettered.
    await within(
      (async () => {
        while ((await committedOffsets(topics.groupId, topics.inputTopic))[0] !== '7') {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      })(),
      20_000,
      'the commit past the dead-lettered note',
    );
  });
});
