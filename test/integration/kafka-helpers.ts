// Helpers for the Kafka integration tests: they run against a real broker, the local one
// that kafka-global-setup.ts starts, or the cluster named by KAFKA_BROKERS.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import { Kafka, type KafkaMessage, logLevel, Partitioners } from 'kafkajs';
import { createForge, type Forge } from '../../src/generation/forge.js';
import type { Note, NoteEvent } from '../../src/schemas/types.js';
import type { GenerateRequestV1 } from '../../src/spec/model-backend-v1.js';
import { createMockBackend } from '../../src/testing/mock-backend.js';

export function kafkaBrokers(): string[] {
  const value = process.env.KAFKA_BROKERS;
  if (!value) {
    throw new Error(
      'KAFKA_BROKERS is not set: run the integration tests through vitest (its global setup starts a local broker; ' +
        'Java 17 + Maven needed) or point KAFKA_BROKERS at a cluster.',
    );
  }
  return value.split(',');
}

export function kafkaClient(): Kafka {
  return new Kafka({ clientId: 'copyforge-tests', brokers: kafkaBrokers(), logLevel: logLevel.NOTHING });
}

/** Fresh topic names per test, so tests never see each other's messages. */
export function uniqueTopics(prefix: string) {
  const suffix = randomUUID().slice(0, 8);
  return {
    inputTopic: `${prefix}.${suffix}.notes`,
    outputTopic: `${prefix}.${suffix}.creatives`,
    deadLetterTopic: `${prefix}.${suffix}.dlq`,
    groupId: `${prefix}-${suffix}`,
  };
}

/** Creates topics; `configs` sets topic configs by topic name (e.g. `max.message.bytes`). */
export async function createTopics(
  topics: string[],
  partitions: number,
  configs: Record<string, Record<string, string>> = {},
): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({
        topic,
        numPartitions: partitions,
        configEntries: Object.entries(configs[topic] ?? {}).map(([name, value]) => ({ name, value })),
      })),
    });
  } finally {
    await admin.disconnect();
  }
}

export function noteEvent(index: number, overrides: Partial<Note> = {}): NoteEvent {
  return {
    schemaVersion: 1,
    eventId: `event-${index}`,
    occurredAt: '2026-11-26T08:00:00Z',
    note: {
      id: `note-${index}`,
      title: `Note ${index}`,
      body: `A practical review of product ${index}: light, durable and easy to clean.`,
      lang: 'en',
      ...overrides,
    },
  };
}

export async function produce(topic: string, values: (string | Buffer | null)[], keyPrefix = 'k'): Promise<void> {
  const producer = kafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: values.map((value, index) => ({ key: `${keyPrefix}-${index}`, value })),
    });
  } finally {
    await producer.disconnect();
  }
}

/**
 * Reads `topic` from the beginning (read_committed) until `done(messages)` holds, then
 * keeps listening `settleMs` more so late duplicates would be seen too.
 */
export async function collect(
  topic: string,
  done: (messages: KafkaMessage[]) => boolean,
  options: { timeoutMs?: number; settleMs?: number } = {},
): Promise<KafkaMessage[]> {
  const consumer = kafkaClient().consumer({ groupId: `collector-${randomUUID()}`, readUncommitted: false });
  const messages: KafkaMessage[] = [];
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let resolveDone: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  await consumer.run({
    eachMessage: async ({ message }) => {
      messages.push(message);
      if (done(messages)) resolveDone();
    },
  });
  const timeoutMs = options.timeoutMs ?? 60_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), timeoutMs);
  });
  const outcome = await Promise.race([finished, timedOut]);
  clearTimeout(timer);
  if (outcome !== 'timeout') await new Promise((resolve) => setTimeout(resolve, options.settleMs ?? 1500));
  await consumer.disconnect();
  return messages;
}

export function header(message: KafkaMessage, name: string): string | undefined {
  const value = message.headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined ? undefined : first.toString();
}

export function noteIdsOf(messages: KafkaMessage[]): string[] {
  return messages.map((message) => (JSON.parse(String(message.value)) as { noteId: string }).noteId);
}

/** Like {@link produce}, with a key and headers per record (e.g. a W3C `traceparent`). */
export async function produceRecords(
  topic: string,
  records: { key?: string; value: string | Buffer | null; headers?: Record<string, string> }[],
): Promise<void> {
  const producer = kafkaClient().producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: records.map((record, index) => ({
        key: record.key ?? `k-${index}`,
        value: record.value,
        ...(record.headers ? { headers: record.headers } : {}),
      })),
    });
  } finally {
    await producer.disconnect();
  }
}

/** The offsets `groupId` has committed on `topic`, by partition (`'-1'`: nothing committed). */
export async function committedOffsets(groupId: string, topic: string): Promise<Record<number, string>> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return Object.fromEntries((entry?.partitions ?? []).map(({ partition, offset }) => [partition, offset]));
  } finally {
    await admin.disconnect();
  }
}

/** The end offset (high watermark) of each partition of `topic`: the records written to it. */
export async function endOffsets(topic: string): Promise<Record<number, string>> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return Object.fromEntries(offsets.map(({ partition, high }) => [partition, high]));
  } finally {
    await admin.disconnect();
  }
}

/** A forge over the mock backend whose every note gets `titlesPerNote` valid titles. */
export function createMockForge(delayMs = 0, titlesPerNote = 2): Forge {
  const backend = createMockBackend({
    delayMs,
    respond(request: GenerateRequestV1) {
      const format = request.responseFormat;
      if (format?.type !== 'json-schema') throw new Error('expected json-schema');
      const schema = format.schema as {
        properties: { titles: { minItems: number }; audienceTier: { enum: string[] } };
      };
      return JSON.stringify({
        promotionTarget: 'product',
        audienceTier: schema.properties.audienceTier.enum[0],
        titles: Array.from({ length: schema.properties.titles.minItems }, (_, index) => ({
          style: 'how-to',
          title: `Practical tip ${index + 1} today`,
        })),
      });
    },
  });
  return createForge({ backend, titlesPerNote, similarityThreshold: 1 });
}

/** A worker in its own process (fixtures/kafka-worker-process.mjs, built from dist/). */
export interface WorkerProcess {
  readonly child: ChildProcess;
  /** Everything it printed on stdout so far. */
  output(): string;
  /** Resolves once stdout contains `text`; rejects when the process exits first or after `timeoutMs`. */
  waitForOutput(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code and signal when the process has exited. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Starts fixtures/kafka-worker-process.mjs with `settings` (WORKER_SETTINGS) and waits
 * for its "ready" line. The caller kills it when done.
 */
export async function startWorkerProcess(settings: object): Promise<WorkerProcess> {
  const child = spawn(process.execPath, [resolve(import.meta.dirname, 'fixtures/kafka-worker-process.mjs')], {
    env: { ...process.env, WORKER_SETTINGS: JSON.stringify(settings) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.once('exit', (code, signal) => resolveExit({ code, signal }));
  });
  const waitForOutput = async (text: string, timeoutMs = 30_000) => {
    const started = Date.now();
    while (!output.includes(text)) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`worker process exited (${child.exitCode ?? child.signalCode}) before printing "${text}"`);
      }
      if (Date.now() - started > timeoutMs)
        throw new Error(`worker process did not print "${text}" in ${timeoutMs} ms`);
      await new Promise((wait) => setTimeout(wait, 50));
    }
  };
  const worker: WorkerProcess = { child, output: () => output, waitForOutput, exited };
  try {
    await waitForOutput('ready', 60_000);
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return worker;
}
