// Shared by the Kafka benchmark's throughput and latency modes: the private broker,
// the kafkajs client, the sample notes and small waiting helpers.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import { integerFromEnvironment, repositoryRoot } from '../backend/common.mjs';

export const { Kafka, logLevel, Partitioners } = kafkajs;

/** The bench's private broker port, away from the development broker's 19092. */
export const port = integerFromEnvironment('COPYFORGE_KAFKA_PORT', 19292);
export const brokers = [`127.0.0.1:${port}`];

/** Starts (wiping its data) or stops the local single-node broker on the bench's port. */
export function broker(command) {
  const result = spawnSync(process.execPath, [path.join(repositoryRoot, 'scripts/kafka/broker.mjs'), command], {
    env: { ...process.env, COPYFORGE_KAFKA_PORT: String(port) },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0 && command === 'start') throw new Error(`broker ${command} failed (${result.status})`);
}

export function createKafka(clientId) {
  return new Kafka({ clientId, brokers, logLevel: logLevel.NOTHING });
}

export const kafkajsVersion = JSON.parse(
  readFileSync(path.join(repositoryRoot, 'node_modules/kafkajs/package.json'), 'utf8'),
).version;

/** data/sample-notes.jsonl, in file order. */
export const sampleNotes = readFileSync(path.join(repositoryRoot, 'data/sample-notes.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line));

/** Waits until `done()` or throws at the deadline. */
export async function waitFor(done, timeoutMs, what = 'the pipeline to drain') {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Creates fresh topics, all with `partitions` partitions. */
export async function createTopics(kafka, topics, partitions) {
  const admin = kafka.admin();
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

/** Records in a topic: the sum of its partitions' high watermarks (all fresh topics start at 0). */
export async function recordCount(kafka, topic) {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, entry) => sum + Number(entry.high), 0);
  } finally {
    await admin.disconnect();
  }
}
