// Helpers for the Kafka integration tests: they run against a real broker, the local one
// that kafka-global-setup.ts starts, or the cluster named by KAFKA_BROKERS.
import { randomUUID } from 'node:crypto';
import { Kafka, type KafkaMessage, logLevel, Partitioners } from 'kafkajs';
import type { Note, NoteEvent } from '../../src/schemas/types.js';

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

export async function createTopics(topics: string[], partitions: number): Promise<void> {
  const admin = kafkaClient().admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: partitions })),
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
