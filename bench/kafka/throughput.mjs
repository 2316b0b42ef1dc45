// Throughput mode of bench/kafka/run.mjs (see the header there). Three pipelines move the
// same NoteEvents from an input topic to an output topic:
//   (a) createKafkaWorker over a forge with an instant mock backend (titlesPerNote 2);
//   (b) the issue's peer: a bare kafkajs pipe that sends and commits per message;
//   (c) a bare kafkajs pipe that sends each fetched batch in one sendBatch and commits once.
import {
  importDist,
  integerFromEnvironment,
  loadAverage,
  machineInfo,
  markdownTable,
  median,
  round,
  writeResults,
} from '../backend/common.mjs';
import { answerTitlesRequest } from '../generation/schema-answer.mjs';
import {
  broker,
  brokers,
  createKafka,
  createTopics,
  kafkajsVersion,
  logLevel,
  Partitioners,
  port,
  recordCount,
  sampleNotes,
  waitFor,
} from './common.mjs';

const eventCount = integerFromEnvironment('BENCH_EVENTS', 2000);
const repetitions = integerFromEnvironment('BENCH_REPS', 3);
const partitions = 3;
const sides = ['worker', 'bare', 'batched'];

const { createForge } = await importDist('index.js');
const { createKafkaWorker } = await importDist('kafka.js');
const { createMockBackend } = await importDist('test.js');

const events = Array.from({ length: eventCount }, (_, index) => {
  const note = sampleNotes[index % sampleNotes.length];
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
const kafka = createKafka('copyforge-bench');

async function prepareTopics(prefix) {
  const topics = { input: `${prefix}.in`, output: `${prefix}.out`, deadLetter: `${prefix}.dlq` };
  await createTopics(kafka, Object.values(topics), partitions);
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

/** What reached the output and dead-letter topics: each event exactly once is the only right answer. */
async function countOutputs(topics) {
  const output = await recordCount(kafka, topics.output);
  const deadLetter = await recordCount(kafka, topics.deadLetter);
  return { outputRecords: output, deadLetterRecords: deadLetter, countsOk: output + deadLetter === eventCount };
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
  // The worker emits the events of one delivery (one sendBatch + one commit) synchronously
  // in a row, so events within one microtask turn are one group.
  let deliveries = 0;
  let groupOpen = false;
  const finish = () => {
    done++;
    lastDone = performance.now();
    if (!groupOpen) {
      groupOpen = true;
      deliveries++;
      queueMicrotask(() => {
        groupOpen = false;
      });
    }
  };
  worker.events.on('kafka.message-processed', finish);
  worker.events.on('kafka.message-dead-lettered', finish);
  await worker.start();
  await waitFor(() => done >= eventCount, 300_000);
  const metrics = worker.metrics();
  await worker.stop();
  const counts = await countOutputs(topics);
  return {
    seconds: (lastDone - firstStart) / 1000,
    processed: metrics.processed,
    deadLettered: metrics.deadLettered,
    groupJoins: metrics.groupJoins,
    produceRequests: deliveries,
    ...counts,
    countsOk: counts.countsOk && metrics.processed + metrics.deadLettered === eventCount,
  };
}

/** Parses like the worker does; the value goes out unchanged with source headers. */
function forward(message, batch, topics) {
  let event;
  try {
    event = JSON.parse(message.value.toString('utf8'));
  } catch {
    // dead-lettered below
  }
  return {
    topic: event ? topics.output : topics.deadLetter,
    record: {
      key: event?.note?.id ?? null,
      value: message.value,
      headers: {
        'content-type': 'application/json',
        'copyforge-source-topic': batch.topic,
        'copyforge-source-partition': String(batch.partition),
        'copyforge-source-offset': message.offset,
      },
    },
  };
}

/**
 * A bare kafkajs consume -> produce pipe with the worker's client settings. `perMessage`:
 * send, commit and heartbeat after each message (b); otherwise one sendBatch of the whole
 * fetched batch, one commit past its last offset, one heartbeat (c).
 */
async function runBarePipe(prefix, { perMessage }) {
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
  let produceRequests = 0;
  await consumer.connect();
  await consumer.subscribe({ topics: [topics.input], fromBeginning: true });
  const commit = (batch, offset) =>
    consumer.commitOffsets([
      { topic: batch.topic, partition: batch.partition, offset: (BigInt(offset) + 1n).toString() },
    ]);
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: 1,
    async eachBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }) {
      if (perMessage) {
        for (const message of batch.messages) {
          if (!isRunning() || isStale()) break;
          firstStart ??= performance.now();
          const { topic, record } = forward(message, batch, topics);
          if (topic === topics.deadLetter) invalid++;
          await producer.send({ topic, acks: -1, messages: [record] });
          produceRequests++;
          await commit(batch, message.offset);
          resolveOffset(message.offset);
          await heartbeat().catch(() => {});
          done++;
          lastDone = performance.now();
        }
        return;
      }
      const last = batch.messages.at(-1);
      if (!last || !isRunning() || isStale()) return;
      firstStart ??= performance.now();
      const byTopic = new Map();
      for (const message of batch.messages) {
        const { topic, record } = forward(message, batch, topics);
        if (topic === topics.deadLetter) invalid++;
        byTopic.set(topic, [...(byTopic.get(topic) ?? []), record]);
      }
      await producer.sendBatch({
        acks: -1,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      });
      produceRequests++;
      await commit(batch, last.offset);
      resolveOffset(last.offset);
      await heartbeat().catch(() => {});
      done += batch.messages.length;
      lastDone = performance.now();
    },
  });
  await waitFor(() => done >= eventCount, 300_000);
  await consumer.stop();
  await consumer.disconnect();
  await producer.disconnect();
  return {
    seconds: (lastDone - firstStart) / 1000,
    processed: done - invalid,
    deadLettered: invalid,
    produceRequests,
    ...(await countOutputs(topics)),
  };
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

const runners = {
  worker: runWorker,
  bare: (prefix) => runBarePipe(prefix, { perMessage: true }),
  batched: (prefix) => runBarePipe(prefix, { perMessage: false }),
};
const samples = { worker: [], bare: [], batched: [], forge: [] };
const orders = [];
const outputBytes = {};
try {
  const stamp = Date.now();
  // Repetition -1 warms up the JIT, the broker and its page cache; it is not counted.
  for (let repetition = -1; repetition < repetitions; repetition++) {
    // Rotating order (a b c, b c a, c a b, ...) so no side always runs first or last.
    const shift = (((repetition + 1) % sides.length) + sides.length) % sides.length;
    const order = [...sides.slice(shift), ...sides.slice(0, shift)];
    const label = repetition < 0 ? 'warm-up' : `rep ${repetition + 1}`;
    if (repetition >= 0) orders.push(order.join(' '));
    for (const side of order) {
      const prefix = `bench.${stamp}.${side}.${repetition}`;
      const sample = await runners[side](prefix);
      sample.messagesPerSecond = eventCount / sample.seconds;
      if (repetition >= 0) samples[side].push(sample);
      console.log(
        `${label} ${side.padEnd(7)} ${eventCount} messages in ${sample.seconds.toFixed(2)} s = ${sample.messagesPerSecond.toFixed(0)} msg/s, outputs ${sample.outputRecords}+${sample.deadLetterRecords}${sample.countsOk ? '' : ' COUNT MISMATCH'}`,
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
  const wanted = Math.min(200, await recordCount(kafka, topic));
  const consumer = kafka.consumer({ groupId: `${topic}.size-probe` });
  await consumer.connect();
  await consumer.subscribe({ topics: [topic], fromBeginning: true });
  let bytes = 0;
  let count = 0;
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

const rate = (side) => median(samples[side].map((sample) => sample.messagesPerSecond));
const workerRate = rate('worker');
const bareRate = rate('bare');
const batchedRate = rate('batched');
const forgeRate = rate('forge');
const ratioToBare = workerRate / bareRate;
const ratioToBatched = workerRate / batchedRate;
// Each repetition runs every side back to back, so its own ratio cancels slow drift in load.
const paired = (peer) =>
  samples.worker.map((sample, index) => sample.messagesPerSecond / samples[peer][index].messagesPerSecond);
const pairedToBare = paired('bare');
const pairedToBatched = paired('batched');
const allCountsOk = sides.every((side) => samples[side].every((sample) => sample.countsOk));
const mismatches = sides.flatMap((side) =>
  samples[side].flatMap((sample, index) => (sample.countsOk ? [] : [{ side, repetition: index + 1, ...sample }])),
);
const roundSample = (sample) => ({
  ...sample,
  seconds: round(sample.seconds, 3),
  messagesPerSecond: round(sample.messagesPerSecond, 1),
});
const met = (value) => (value >= 0.9 ? 'met' : 'MISSED');
const highLoad = Math.max(loadStart[0], loadEnd[0]) > 3;
const peers = {
  bare: `(b) bare kafkajs ${kafkajsVersion} eachBatch pipe, per message: idempotent producer, acks -1, maxInFlightRequests 1, one send + one commitOffsets + one heartbeat per message`,
  batched: `(c) bare kafkajs ${kafkajsVersion} eachBatch pipe, per fetched batch: the same producer and consumer, one sendBatch (acks -1) of all the batch's messages, one commitOffsets of the last offset + 1, resolveOffset, one heartbeat`,
};
/** Mean messages per produce request of one side, over its counted runs. */
const groupSize = (side) =>
  round(
    samples[side].reduce((sum, sample) => sum + sample.processed + sample.deadLettered, 0) /
      samples[side].reduce((sum, sample) => sum + sample.produceRequests, 0),
    2,
  );
const json = {
  benchmark: 'kafka',
  description:
    'NoteEvents through (a) createKafkaWorker (forge over an instant mock backend, titlesPerNote 2; the worker takes each fetched batch into its window, generates up to maxInFlight notes at once across partitions, and delivers whatever has finished in one sendBatch + one commit per flush) vs (b) a bare kafkajs pipe that sends and commits per message (the peer of the target; it does not group) and (c) a bare kafkajs pipe that sends each whole fetched batch at once and commits once (the ceiling of a bare pipe; informational). Medians of repetitions in rotating order.',
  peer: peers.bare,
  ceiling: peers.batched,
  machine: machineInfo(),
  loadAverage: { start: loadStart, end: loadEnd },
  broker: { port, partitions, script: 'scripts/kafka/broker.mjs' },
  settings: {
    events: eventCount,
    repetitions,
    orders,
    titlesPerNote: 2,
    workerMaxInFlight: 2,
    workerDelivery: 'at-least-once',
    partitionsConsumedConcurrently: 1,
  },
  outputValueBytes: outputBytes,
  results: {
    workerMessagesPerSecond: round(workerRate, 1),
    bareMessagesPerSecond: round(bareRate, 1),
    batchedMessagesPerSecond: round(batchedRate, 1),
    ratioWorkerToBare: round(ratioToBare, 3),
    ratioWorkerToBatched: round(ratioToBatched, 3),
    pairedRatiosToBare: pairedToBare.map((value) => round(value, 3)),
    medianPairedRatioToBare: round(median(pairedToBare), 3),
    pairedRatiosToBatched: pairedToBatched.map((value) => round(value, 3)),
    medianPairedRatioToBatched: round(median(pairedToBatched), 3),
    forgeAloneNotesPerSecond: round(forgeRate, 1),
    forgeMillisecondsPerNote: round(1000 / forgeRate, 3),
    messagesPerProduceRequest: { worker: groupSize('worker'), bare: groupSize('bare'), batched: groupSize('batched') },
    countsOk: allCountsOk,
    countMismatches: mismatches,
    workerSamples: samples.worker.map(roundSample),
    bareSamples: samples.bare.map(roundSample),
    batchedSamples: samples.batched.map(roundSample),
    forgeSamples: samples.forge.map(roundSample),
  },
  target: {
    ratioWorkerToBare: '>= 0.9',
    met: ratioToBare >= 0.9,
    medianPairedRatioMet: median(pairedToBare) >= 0.9,
  },
};
const samplesOf = (side) => samples[side].map((sample) => round(sample.messagesPerSecond, 0)).join(', ');
const table = markdownTable(
  ['pipeline', 'messages/s (median)', 'samples (msg/s)', 'mean output value bytes'],
  [
    [
      '(a) createKafkaWorker + forge (mock backend, 2 titles)',
      round(workerRate, 1),
      samplesOf('worker'),
      outputBytes.worker ?? '–',
    ],
    [
      '(b) bare kafkajs, send + commit per message (peer)',
      round(bareRate, 1),
      samplesOf('bare'),
      outputBytes.bare ?? '–',
    ],
    [
      '(c) bare kafkajs, one sendBatch + commit per fetched batch (ceiling)',
      round(batchedRate, 1),
      samplesOf('batched'),
      outputBytes.batched ?? '–',
    ],
    ['forge alone, no Kafka (notes/s)', round(forgeRate, 1), samplesOf('forge'), '–'],
  ],
);
const pairedText = (values) => values.map((value) => round(value, 2)).join(', ');
console.log(
  `\n${table}\n\n(a)/(b) = ${round(ratioToBare, 3)} (target >= 0.9: ${met(ratioToBare)}), paired ${pairedText(pairedToBare)}\n(a)/(c) = ${round(ratioToBatched, 3)}, paired ${pairedText(pairedToBatched)}\ncounts ${allCountsOk ? 'ok' : 'MISMATCH'}`,
);
const markdown = `# Kafka: worker vs bare kafkajs pipes

Generated by \`bench/kafka/run.mjs\` on ${json.machine.date}. Machine: ${json.machine.cpus} × ${json.machine.cpuModel}, Node ${json.machine.node}. Load average at start ${loadStart.join(' / ')}, at end ${loadEnd.join(' / ')}${highLoad ? ` — above 3 on 2 cores: other work shared the machine and the absolute rates are depressed; compare the ratios, which come from sides run back to back` : ''}.

Local single-node broker (\`scripts/kafka/broker.mjs\`, port ${port}), fresh topics with ${partitions} partitions per run, ${eventCount} NoteEvents (sample notes with unique ids), one uncounted warm-up run per side, then ${repetitions} runs per side in rotating order (${orders.join('; ')}). Time runs from the first message handled to the last one delivered and committed (connect and group join excluded). After every run the output and dead-letter topics are counted: ${allCountsOk ? `every run produced exactly ${eventCount} records, none lost or repeated` : `**COUNT MISMATCH** in ${mismatches.length} run(s), see \`countMismatches\` in kafka.json`}.

- (a) \`createKafkaWorker\` (at-least-once, default \`maxInFlight\` 2) over \`createForge({ backend: createMockBackend(...), titlesPerNote: 2 })\`: every event is schema-validated, goes through the forge, and a CreativesEvent is produced. The worker takes each fetched batch into its window (at most \`maxPendingPerPartition\`, 1,000, uncommitted per partition), generates up to \`maxInFlight\` notes at once across partitions, and delivers whatever has finished in one \`sendBatch\` and one offset commit per flush (here ${groupSize('worker')} notes per request on average; at most 500 records or 512 KiB per request).
- ${peers.bare}; the value is JSON-parsed and forwarded unchanged with source headers. This is the issue's peer ("same settings"): it does not group, so it pays one produce round trip and one commit round trip per message.
- ${peers.batched}; the same forwarding. It groups as far as a bare pipe can (${groupSize('batched')} messages per request on average), so it is the ceiling of a bare pipe, not a like-for-like peer.

${table}

Ratio (a)/(b) of the medians: **${round(ratioToBare, 3)}** — target ≥ 0.9 ${met(ratioToBare)}. Per repetition (sides back to back): ${pairedText(pairedToBare)}; median **${round(median(pairedToBare), 3)}** — ${met(median(pairedToBare))}.

Ratio (a)/(c) of the medians (informational): **${round(ratioToBatched, 3)}**; per repetition ${pairedText(pairedToBatched)}, median ${round(median(pairedToBatched), 3)}. The gap to (c) is the worker's own work per note (validation, the forge, building the CreativesEvent, a span) and smaller requests: it sends ${groupSize('worker')} messages per produce request where (c) sends ${groupSize('batched')}, since it delivers what has finished while the rest generates.

The forge alone on the same events (validation, prompt and schema building, the mock's JSON, parsing, creative validation; no Kafka) runs at ${round(forgeRate, 0)} notes/s, ${round(1000 / forgeRate, 2)} ms per note.
`;
writeResults('kafka', json, markdown);
