// Benchmark: the same NoteEvents through (a) createKafkaWorker with a forge over an
// instant mock backend (titlesPerNote 2) and (b) a bare kafkajs consume -> produce pipe
// with the worker's per-message delivery settings (idempotent producer, acks -1,
// maxInFlightRequests 1, manual offset commit after each produce, heartbeat after each
// message), against a local broker started here on a private port and stopped at the end.
//
//   npm run build && node bench/kafka/run.mjs
//
// Environment: BENCH_EVENTS (default 2000), BENCH_REPS (3), COPYFORGE_KAFKA_PORT (19292),
// COPYFORGE_DIST.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import kafkajs from 'kafkajs';
import {
  importDist,
  integerFromEnvironment,
  loadAverage,
  machineInfo,
  markdownTable,
  median,
  repositoryRoot,
  round,
  writeResults,
} from '../backend/common.mjs';
import { answerTitlesRequest } from '../generation/schema-answer.mjs';

const { Kafka, logLevel, Partitioners } = kafkajs;
const eventCount = integerFromEnvironment('BENCH_EVENTS', 2000);
const repetitions = integerFromEnvironment('BENCH_REPS', 3);
const port = integerFromEnvironment('COPYFORGE_KAFKA_PORT', 19292);
const partitions = 3;
const brokers = [`127.0.0.1:${port}`];
const brokerEnvironment = { ...process.env, COPYFORGE_KAFKA_PORT: String(port) };

function broker(command) {
  const result = spawnSync(process.execPath, [path.join(repositoryRoot, 'scripts/kafka/broker.mjs'), command], {
    env: brokerEnvironment,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (result.status !== 0 && command === 'start') throw new Error(`broker ${command} failed (${result.status})`);
}

const { createForge } = await importDist('index.js');
const { createKafkaWorker } = await importDist('kafka.js');
const { createMockBackend } = await importDist('test.js');

const notes = readFileSync(path.join(repositoryRoot, 'data/sample-notes.jsonl'), 'utf8')
  .split('\n')
  .filter((line) => line.trim())
  .map((line) => JSON.parse(line));
const events = Array.from({ length: eventCount }, (_, index) => {
  const note = notes[index % notes.length];
  return {
    schemaVersion: 1,
    eventId: `bench-event-${index}`,
    occurredAt: '2026-11-26T08:00:00Z',
    note: { ...note, id: `${note.id}-${index}` },
  };
});

const loadStart = loadAverage();
console.log(`${eventCount} events, ${repetitions} repetitions per side, broker on port ${port}, load ${loadStart}`);
broker('start');
const kafka = new Kafka({ clientId: 'copyforge-bench', brokers, logLevel: logLevel.NOTHING });

async function prepareTopics(prefix) {
  const admin = kafka.admin();
  await admin.connect();
  const topics = { input: `${prefix}.in`, output: `${prefix}.out`, deadLetter: `${prefix}.dlq` };
  await admin.createTopics({
    waitForLeaders: true,
    topics: Object.values(topics).map((topic) => ({ topic, numPartitions: partitions })),
  });
  await admin.disconnect();
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let index = 0; index < events.length; index += 500) {
    await producer.send({
      topic: topics.input,
      acks: -1,
      messages: events.slice(index, index + 500).map((event) => ({ key: event.note.id, value: JSON.stringify(event) })),
    });
  }
  await producer.disconnect();
  return topics;
}

/** Waits until `done()` or the deadline. */
async function waitFor(done, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the pipeline to drain');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function runWorker(prefix) {
  const topics = await prepareTopics(prefix);
  const backend = createMockBackend({ respond: answerTitlesRequest });
  const forge = createForge({ backend, titlesPerNote: 2 });
  let firstStart;
  const timedForge = {
    generate(note, options) {
      firstStart ??= performance.now();
      backend.generateCalls.length = 0; // the mock records requests; do not let them pile up
      return forge.generate(note, options);
    },
  };
  const worker = createKafkaWorker({
    brokers,
    groupId: `${prefix}.group`,
    inputTopic: topics.input,
    outputTopic: topics.output,
    deadLetterTopic: topics.deadLetter,
    forge: timedForge,
    createTopics: false,
    kafka: { logLevel: logLevel.NOTHING },
  });
  let done = 0;
  let lastDone;
  const finish = () => {
    done++;
    lastDone = performance.now();
  };
  worker.events.on('kafka.message-processed', finish);
  worker.events.on('kafka.message-dead-lettered', finish);
  await worker.start();
  await waitFor(() => done >= eventCount, 300_000);
  const metrics = worker.metrics();
  await worker.stop();
  return {
    seconds: (lastDone - firstStart) / 1000,
    processed: metrics.processed,
    deadLettered: metrics.deadLettered,
    groupJoins: metrics.groupJoins,
  };
}

async function runBarePipe(prefix) {
  const topics = await prepareTopics(prefix);
  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  // The worker's consumer settings.
  const consumer = kafka.consumer({
    groupId: `${prefix}.group`,
    sessionTimeout: 30_000,
    rebalanceTimeout: 60_000,
    heartbeatInterval: 3000,
    readUncommitted: false,
    allowAutoTopicCreation: false,
  });
  let firstStart;
  let lastDone;
  let done = 0;
  let invalid = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.input], fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }) {
      for (const message of batch.messages) {
        if (!isRunning() || isStale()) break;
        firstStart ??= performance.now();
        // Parse like the worker does; the value goes out unchanged with source headers.
        let event;
        try {
          event = JSON.parse(message.value.toString('utf8'));
        } catch {
          invalid++;
        }
        await producer.send({
          topic: event ? topics.output : topics.deadLetter,
          acks: -1,
          messages: [
            {
              key: event?.note?.id ?? null,
              value: message.value,
              headers: {
                'content-type': 'application/json',
                'copyforge-source-topic': batch.topic,
                'copyforge-source-partition': String(batch.partition),
                'copyforge-source-offset': message.offset,
              },
            },
          ],
        });
        await consumer.commitOffsets([
          { topic: batch.topic, partition: batch.partition, offset: (BigInt(message.offset) + 1n).toString() },
        ]);
        resolveOffset(message.offset);
        await heartbeat().catch(() => {});
        done++;
        lastDone = performance.now();
      }
    },
  });
  await waitFor(() => done >= eventCount, 300_000);
  await consumer.stop();
  await consumer.disconnect();
  await producer.disconnect();
  return { seconds: (lastDone - firstStart) / 1000, processed: done - invalid, deadLettered: invalid };
}

/** The forge alone on the same events, no Kafka: how much of the worker's time is the forge's CPU. */
async function runForgeAlone() {
  const backend = createMockBackend({ respond: answerTitlesRequest });
  const forge = createForge({ backend, titlesPerNote: 2 });
  const started = performance.now();
  for (const event of events) {
    const parsed = JSON.parse(JSON.stringify(event));
    await forge.generate(parsed.note);
    backend.generateCalls.length = 0;
  }
  return { seconds: (performance.now() - started) / 1000 };
}

const samples = { worker: [], bare: [], forge: [] };
const outputBytes = {};
try {
  const stamp = Date.now();
  // Repetition -1 warms up the JIT, the broker and its page cache; it is not counted.
  for (let repetition = -1; repetition < repetitions; repetition++) {
    const order = repetition % 2 === 0 ? ['worker', 'bare'] : ['bare', 'worker'];
    const label = repetition < 0 ? 'warm-up' : `rep ${repetition + 1}`;
    for (const side of order) {
      const prefix = `bench.${stamp}.${side}.${repetition}`;
      const sample = side === 'worker' ? await runWorker(prefix) : await runBarePipe(prefix);
      sample.messagesPerSecond = eventCount / sample.seconds;
      if (repetition >= 0) samples[side].push(sample);
      console.log(
        `${label} ${side.padEnd(6)} ${eventCount} messages in ${sample.seconds.toFixed(2)} s = ${sample.messagesPerSecond.toFixed(0)} msg/s`,
      );
      if (repetition < 0) outputBytes[side] = await averageOutputBytes(`${prefix}.out`);
    }
    const forgeSample = await runForgeAlone();
    forgeSample.messagesPerSecond = eventCount / forgeSample.seconds;
    if (repetition >= 0) samples.forge.push(forgeSample);
    console.log(`${label} forge alone (no Kafka) ${forgeSample.messagesPerSecond.toFixed(0)} notes/s`);
  }
} finally {
  broker('stop');
}
const loadEnd = loadAverage();

/** Mean value size of the first messages of an output topic. */
async function averageOutputBytes(topic) {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const consumer = kafka.consumer({ groupId: `${topic}.size-probe` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let bytes = 0;
  let count = 0;
  const wanted = Math.min(
    200,
    offsets.reduce((sum, entry) => sum + Number(entry.high), 0),
  );
  await consumer.run({
    eachMessage: async ({ message }) => {
      if (count < wanted) {
        bytes += message.value?.length ?? 0;
        count++;
      }
    },
  });
  await waitFor(() => count >= wanted, 60_000);
  await consumer.disconnect();
  return Math.round(bytes / Math.max(1, count));
}

const workerRate = median(samples.worker.map((sample) => sample.messagesPerSecond));
const bareRate = median(samples.bare.map((sample) => sample.messagesPerSecond));
const forgeRate = median(samples.forge.map((sample) => sample.messagesPerSecond));
const ratio = workerRate / bareRate;
// Each repetition runs both sides back to back, so its own ratio cancels slow drift in load.
const pairedRatios = samples.worker.map(
  (sample, index) => sample.messagesPerSecond / samples.bare[index].messagesPerSecond,
);
const pairedRatio = median(pairedRatios);
// If the forge's CPU time added serially to the pipe's per-message time, the worker would run at:
const serialEstimate = 1 / (1 / bareRate + 1 / forgeRate);
const kafkajsVersion = JSON.parse(
  readFileSync(path.join(repositoryRoot, 'node_modules/kafkajs/package.json'), 'utf8'),
).version;
const json = {
  benchmark: 'kafka',
  description:
    'NoteEvents through createKafkaWorker (forge over an instant mock backend, titlesPerNote 2) vs a bare kafkajs consume -> produce pipe with the same per-message delivery; medians of interleaved repetitions.',
  peer: `bare kafkajs ${kafkajsVersion} eachBatch pipe: idempotent producer, acks -1, maxInFlightRequests 1, commitOffsets after each send`,
  machine: machineInfo(),
  loadAverage: { start: loadStart, end: loadEnd },
  broker: { port, partitions, script: 'scripts/kafka/broker.mjs' },
  settings: {
    events: eventCount,
    repetitions,
    titlesPerNote: 2,
    workerMaxInFlight: 2,
    partitionsConsumedConcurrently: 1,
  },
  outputValueBytes: outputBytes,
  results: {
    workerMessagesPerSecond: round(workerRate, 1),
    bareMessagesPerSecond: round(bareRate, 1),
    ratioWorkerToBare: round(ratio, 3),
    pairedRatios: pairedRatios.map((value) => round(value, 3)),
    medianPairedRatio: round(pairedRatio, 3),
    forgeAloneNotesPerSecond: round(forgeRate, 1),
    forgeMillisecondsPerNote: round(1000 / forgeRate, 3),
    serialEstimateMessagesPerSecond: round(serialEstimate, 1),
    workerSamples: samples.worker.map((sample) => ({
      ...sample,
      seconds: round(sample.seconds, 3),
      messagesPerSecond: round(sample.messagesPerSecond, 1),
    })),
    bareSamples: samples.bare.map((sample) => ({
      ...sample,
      seconds: round(sample.seconds, 3),
      messagesPerSecond: round(sample.messagesPerSecond, 1),
    })),
  },
  target: { ratioWorkerToBare: '>= 0.9', met: ratio >= 0.9, medianPairedRatioMet: pairedRatio >= 0.9 },
};
const table = markdownTable(
  ['pipeline', 'messages/s (median)', 'samples (msg/s)', 'mean output value bytes'],
  [
    [
      '(a) createKafkaWorker + forge (mock backend, 2 titles)',
      round(workerRate, 1),
      samples.worker.map((sample) => round(sample.messagesPerSecond, 0)).join(', '),
      outputBytes.worker ?? '–',
    ],
    [
      '(b) bare kafkajs consume → produce',
      round(bareRate, 1),
      samples.bare.map((sample) => round(sample.messagesPerSecond, 0)).join(', '),
      outputBytes.bare ?? '–',
    ],
  ],
);
console.log(
  `\n${table}\n\npaired ratios ${pairedRatios.map((value) => round(value, 2)).join(', ')}\nratio (a)/(b) = ${round(ratio, 3)} (target >= 0.9: ${ratio >= 0.9 ? 'met' : 'MISSED'})`,
);
const markdown = `# Kafka: worker vs bare kafkajs pipe

Generated by \`bench/kafka/run.mjs\` on ${json.machine.date}. Machine: ${json.machine.cpus} × ${json.machine.cpuModel}, Node ${json.machine.node}. Load average at start ${loadStart.join(' / ')}, at end ${loadEnd.join(' / ')} (other work shared the machine; sides alternate in ABBA order, medians reported).

Local single-node broker (\`scripts/kafka/broker.mjs\`, port ${port}), fresh topics with ${partitions} partitions per run, ${eventCount} NoteEvents (sample notes with unique ids), one uncounted warm-up run per side, then ${repetitions} runs per side. Time runs from the first message handled to the last one delivered and committed (connect and group join excluded).

- (a) \`createKafkaWorker\` (at-least-once, default \`maxInFlight\` 2) over \`createForge({ backend: createMockBackend(...), titlesPerNote: 2 })\`: every event is schema-validated, goes through the forge, and a CreativesEvent is produced.
- (b) peer: ${json.peer}; the value is JSON-parsed and forwarded unchanged with source headers.

${table}

Ratio (a)/(b) of the medians: **${round(ratio, 3)}** — target ≥ 0.9 ${ratio >= 0.9 ? 'met' : 'MISSED'}. Per repetition (both sides back to back): ${pairedRatios.map((value) => round(value, 2)).join(', ')}; median **${round(pairedRatio, 3)}** — ${pairedRatio >= 0.9 ? 'met' : 'MISSED'}.

Where the difference goes: the forge alone on the same events (validation, prompt and schema building, the mock's JSON, parsing, creative validation; no Kafka) runs at ${round(forgeRate, 0)} notes/s, ${round(1000 / forgeRate, 2)} ms per note. Were that CPU time simply added to the bare pipe's per-message time, the worker would reach ${round(serialEstimate, 0)} msg/s (${round(serialEstimate / bareRate, 3)} of the bare pipe); measured ${round(workerRate, 0)} msg/s.
`;
writeResults('kafka', json, markdown);
