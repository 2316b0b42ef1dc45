// Memory mode of bench/kafka/run.mjs (--memory): does the worker's memory stay flat under a
// backlog? Each size runs in a fresh `node --expose-gc` child process: the input topic is
// pre-filled with N NoteEvents, then createKafkaWorker (at-least-once, maxInFlight 2) over a
// forge with an instant mock backend drains it. RSS and heap are sampled every 10 ms while
// it drains; the peer is the same run at 10× the backlog (flat memory does not grow with N).
//
// Environment: BENCH_MEMORY_EVENTS (comma list, default 2000,20000).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import {
  importDist,
  loadAverage,
  machineInfo,
  markdownTable,
  round,
  startMemorySampler,
  writeResults,
} from '../backend/common.mjs';
import { answerTitlesRequest } from '../generation/schema-answer.mjs';
import {
  broker,
  brokers,
  createKafka,
  createTopics,
  logLevel,
  Partitioners,
  port,
  recordCount,
  sampleNotes,
  waitFor,
} from './common.mjs';

const partitions = 3;

async function child(eventCount) {
  const { createForge } = await importDist('index.js');
  const { createKafkaWorker } = await importDist('kafka.js');
  const { createMockBackend } = await importDist('test.js');
  const kafka = createKafka('copyforge-bench-memory');
  const prefix = `bench.memory.${Date.now()}.${eventCount}`;
  const topics = { input: `${prefix}.in`, output: `${prefix}.out`, deadLetter: `${prefix}.dlq` };
  await createTopics(kafka, Object.values(topics), partitions);
  const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();
  for (let start = 0; start < eventCount; start += 500) {
    const messages = [];
    for (let index = start; index < Math.min(eventCount, start + 500); index++) {
      const note = sampleNotes[index % sampleNotes.length];
      const event = {
        schemaVersion: 1,
        eventId: `memory-${index}`,
        occurredAt: '2026-11-26T08:00:00Z',
        note: { ...note, id: `${note.id}-${index}` },
      };
      messages.push({ key: event.note.id, value: JSON.stringify(event) });
    }
    await producer.send({ topic: topics.input, acks: -1, messages });
  }
  await producer.disconnect();
  const backend = createMockBackend({ respond: answerTitlesRequest });
  const forge = createForge({ backend, titlesPerNote: 2 });
  const worker = createKafkaWorker({
    brokers,
    groupId: `${prefix}.group`,
    inputTopic: topics.input,
    outputTopic: topics.output,
    deadLetterTopic: topics.deadLetter,
    forge: {
      generate(note, options) {
        backend.generateCalls.length = 0; // the mock records requests; do not let them pile up
        return forge.generate(note, options);
      },
    },
    createTopics: false,
    kafka: { logLevel: logLevel.NOTHING },
  });
  const sampler = startMemorySampler(10);
  const started = performance.now();
  await worker.start();
  await waitFor(() => worker.metrics().processed + worker.metrics().deadLettered >= eventCount, 600_000);
  const seconds = (performance.now() - started) / 1000;
  const { before, peakRss, peakHeap } = sampler.stop();
  const metrics = worker.metrics();
  await worker.stop();
  globalThis.gc?.();
  const after = process.memoryUsage();
  const outputs = await recordCount(kafka, topics.output);
  return {
    events: eventCount,
    processed: metrics.processed,
    deadLettered: metrics.deadLettered,
    outputRecords: outputs,
    seconds: round(seconds, 2),
    rssBeforeBytes: before.rss,
    peakRssBytes: peakRss,
    heapUsedBeforeBytes: before.heapUsed,
    peakHeapUsedBytes: peakHeap,
    heapUsedAfterGcBytes: after.heapUsed,
    heapLimitBytes: v8.getHeapStatistics().heap_size_limit,
  };
}

if (process.argv.includes('--child')) {
  const result = await child(Number(process.argv.at(-1)));
  console.log(JSON.stringify(result));
  process.exit(0);
}

const sizes = (process.env.BENCH_MEMORY_EVENTS ?? '2000,20000').split(',').map(Number);
const loadStart = loadAverage();
broker('start');
const runs = [];
try {
  for (const size of sizes) {
    const run = spawnSync(process.execPath, ['--expose-gc', fileURLToPath(import.meta.url), '--child', String(size)], {
      encoding: 'utf8',
      env: process.env,
      maxBuffer: 16 * 2 ** 20,
    });
    if (run.status !== 0) throw new Error(`memory run of ${size} events failed: ${run.stderr}`);
    const result = JSON.parse(run.stdout.trim().split('\n').at(-1));
    console.log(JSON.stringify(result));
    runs.push(result);
  }
} finally {
  broker('stop');
}
const loadEnd = loadAverage();
const mebibytes = (bytes) => round(bytes / 2 ** 20, 1);
const [small, large] = runs;
const growth = large && small ? large.peakRssBytes / small.peakRssBytes : Number.NaN;
const json = {
  benchmark: 'kafka-memory',
  description:
    'Peak RSS and heap of createKafkaWorker (mock forge, maxInFlight 2) draining a pre-filled backlog, each size in a fresh process; the peer is the same run at a larger backlog.',
  machine: machineInfo(),
  loadAverage: { start: loadStart, end: loadEnd },
  broker: { port, partitions },
  runs,
  peakRssGrowth: round(growth, 3),
};
const table = markdownTable(
  ['backlog (events)', 'outputs', 'seconds', 'RSS before MiB', 'peak RSS MiB', 'peak heap MiB', 'heap after GC MiB'],
  runs.map((run) => [
    run.events,
    run.outputRecords,
    run.seconds,
    mebibytes(run.rssBeforeBytes),
    mebibytes(run.peakRssBytes),
    mebibytes(run.peakHeapUsedBytes),
    mebibytes(run.heapUsedAfterGcBytes),
  ]),
);
console.log(`\n${table}\npeak RSS ${large?.events} / ${small?.events} events: ${round(growth, 3)}`);
const markdown = `# Kafka: worker memory under a backlog

Generated by \`bench/kafka/run.mjs --memory\` on ${json.machine.date}. Machine: ${json.machine.cpus} × ${json.machine.cpuModel}, Node ${json.machine.node}. Load average at start ${loadStart.join(' / ')}, at end ${loadEnd.join(' / ')}.

The input topic (${partitions} partitions, local single-node broker on port ${port}) is pre-filled with the backlog, then \`createKafkaWorker\` (at-least-once, default \`maxInFlight\` 2, default kafkajs fetch sizes) over \`createForge({ backend: createMockBackend(...), titlesPerNote: 2 })\` drains it. Each size runs in a fresh \`node --expose-gc\` process; RSS and heap are sampled every 10 ms from \`worker.start()\` to the last delivery (the pre-filling producer is disconnected first).

${table}

Peak RSS at ${large?.events} events is **${round(growth, 3)}×** the peak at ${small?.events} events (a backlog ${large && small ? large.events / small.events : '?'}× larger). The worker holds at most \`maxInFlight\` notes generating, and per partition at most \`maxPendingPerPartition\` (1,000) messages taken from fetched batches and not yet committed (a delivered one keeps only its offset), whatever the backlog; so the peak grows with the backlog only until the windows are full, and the heap after GC stays where it was.
`;
writeResults('kafka-memory', json, markdown);
