// Latency mode of bench/kafka/run.mjs (`--latency`; see the header there): createKafkaWorker
// over a forge on the real default model, fed closed-loop, end-to-end latency per note.
import {
  importDist,
  integerFromEnvironment,
  loadAverage,
  machineInfo,
  markdownTable,
  median,
  modelPath,
  percentile,
  round,
  writeResults,
} from '../backend/common.mjs';
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

const noteCount = integerFromEnvironment('BENCH_LATENCY_NOTES', 12);
const outstanding = integerFromEnvironment('BENCH_LATENCY_OUTSTANDING', 2);
// The worker's default topicPartitions; 1 puts every note in one partition.
const partitions = integerFromEnvironment('BENCH_LATENCY_PARTITIONS', 3);
const threads = 2;
const sequences = 2;
const titlesPerNote = 12;

const { createForge, createUsabilityRewardModel, llamaCppBackend } = await importDist('index.js');
const { createKafkaWorker } = await importDist('kafka.js');

// zh and en notes alternate; ids are unique per run.
const zhNotes = sampleNotes.filter((note) => note.id.startsWith('zh-'));
const enNotes = sampleNotes.filter((note) => note.id.startsWith('en-'));
const stamp = Date.now();
const events = Array.from({ length: noteCount }, (_, index) => {
  const pool = index % 2 === 0 ? zhNotes : enNotes;
  const note = pool[Math.floor(index / 2) % pool.length];
  return {
    schemaVersion: 1,
    eventId: `latency-event-${stamp}-${index}`,
    occurredAt: new Date().toISOString(),
    note: { ...note, id: `${note.id}-latency-${stamp}-${index}` },
  };
});

const loadStart = loadAverage();
console.log(
  `${noteCount} notes, ${outstanding} outstanding, model ${modelPath()}, broker on port ${port}, load ${loadStart}`,
);
const loadStarted = performance.now();
const backend = await llamaCppBackend({ model: 'default', threads, sequences, gpu: false, build: 'never' });
const modelLoadSeconds = (performance.now() - loadStarted) / 1000;
const forge = createForge({ backend, rewardModels: [createUsabilityRewardModel()], titlesPerNote });

// One short note (2 titles) outside Kafka first, so one-time costs (first evaluation,
// reward-model set-up) are not in the samples.
const warmUpStarted = performance.now();
const warmUpNote = { ...(zhNotes.at(-1) ?? sampleNotes[0]), id: 'latency-warm-up' };
await createForge({ backend, rewardModels: [createUsabilityRewardModel()], titlesPerNote: 2 }).generate(warmUpNote);
const warmUpSeconds = (performance.now() - warmUpStarted) / 1000;
console.log(`model loaded in ${modelLoadSeconds.toFixed(1)} s, warm-up note ${warmUpSeconds.toFixed(1)} s`);

/** Per note id: produce acknowledged, generate start and end (inside the worker), output consumed. */
const timings = new Map(events.map((event) => [event.note.id, {}]));
// Time-weighted count of notes generating at once, to show how much of the backend's 2 sequences is used.
const concurrencyMilliseconds = Array.from({ length: outstanding + 1 }, () => 0);
let generating = 0;
let lastChange = performance.now();
const changeGenerating = (delta) => {
  const now = performance.now();
  concurrencyMilliseconds[generating] = (concurrencyMilliseconds[generating] ?? 0) + (now - lastChange);
  lastChange = now;
  generating += delta;
};
const timedForge = {
  async generate(note, options) {
    const timing = timings.get(note.id) ?? {};
    timing.generateStart = performance.now();
    changeGenerating(1);
    try {
      const result = await forge.generate(note, options);
      timing.counts = result.counts;
      return result;
    } finally {
      changeGenerating(-1);
      timing.generateEnd = performance.now();
      timing.generateCalls = (timing.generateCalls ?? 0) + 1;
    }
  },
};

const kafka = createKafka('copyforge-bench-latency');
const topics = {
  input: `latency.${stamp}.in`,
  output: `latency.${stamp}.out`,
  deadLetter: `latency.${stamp}.dlq`,
};
let worker;
let reader;
let producer;
let firstAck;
let lastOutput;
let duplicates = 0;
let received = 0;
let sent = 0;
let sendError;
const outcomes = [];
let timedOut = false;
let eventLoopStart;
let eventLoop;
const loadMiddle = [];
broker('start');
try {
  await createTopics(kafka, Object.values(topics), partitions);
  worker = createKafkaWorker({
    brokers,
    groupId: `latency.${stamp}.group`,
    inputTopic: topics.input,
    outputTopic: topics.output,
    deadLetterTopic: topics.deadLetter,
    forge: timedForge,
    createTopics: false,
    kafka: { logLevel: logLevel.NOTHING },
  });
  producer = kafka.producer({ idempotent: true, createPartitioner: Partitioners.DefaultPartitioner });
  await producer.connect();

  const sendNext = async () => {
    if (sent >= noteCount) return;
    const event = events[sent++];
    try {
      await producer.send({
        topic: topics.input,
        acks: -1,
        messages: [{ key: event.note.id, value: JSON.stringify(event) }],
      });
      const timing = timings.get(event.note.id);
      timing.acknowledged = performance.now();
      firstAck ??= timing.acknowledged;
    } catch (error) {
      sendError = error;
    }
  };

  // The reader: read_committed (kafkajs' default), from the beginning of the output and dead-letter topics.
  reader = kafka.consumer({ groupId: `latency.${stamp}.reader`, readUncommitted: false });
  let readerJoined = false;
  reader.on(reader.events.GROUP_JOIN, () => {
    readerJoined = true;
  });
  await reader.connect();
  await reader.subscribe({ topics: [topics.output, topics.deadLetter], fromBeginning: true });
  await reader.run({
    eachMessage: async ({ topic, message }) => {
      const consumed = performance.now();
      const value = JSON.parse(message.value.toString('utf8'));
      const noteId = topic === topics.output ? value.noteId : value.note?.id;
      const timing = timings.get(noteId);
      if (!timing || timing.consumed !== undefined) {
        duplicates++;
        return;
      }
      timing.consumed = consumed;
      lastOutput = consumed;
      received++;
      if (topic === topics.output) {
        timing.outcome = 'output';
        timing.creatives = value.creatives.length;
        timing.accepted = value.creatives.filter((creative) => creative.accepted).length;
      } else {
        timing.outcome = `dead-letter ${message.headers?.['copyforge-error-code']?.toString() ?? ''}`.trim();
      }
      outcomes.push(timing.outcome);
      console.log(
        `note ${received}/${noteCount} ${noteId}: ${timing.outcome}, end to end ${((consumed - timing.acknowledged) / 1000).toFixed(1)} s, generate ${((timing.generateEnd - timing.generateStart) / 1000).toFixed(1)} s`,
      );
      if (received === Math.ceil(noteCount / 2)) loadMiddle.push(...loadAverage());
      // Closed loop: one output in, one note out.
      void sendNext();
    },
  });
  await worker.start();
  await waitFor(() => readerJoined && worker.metrics().groupJoins >= 1, 60_000, 'both consumer groups to join');
  // Count concurrency and the main thread's busy share from the first produce on.
  eventLoopStart = performance.eventLoopUtilization();
  changeGenerating(0);
  concurrencyMilliseconds.fill(0);
  const initial = [];
  for (let index = 0; index < outstanding; index++) initial.push(sendNext());
  await Promise.all(initial);
  try {
    await waitFor(
      () => received >= noteCount || sendError !== undefined,
      noteCount * 600_000,
      'every note to come out',
    );
  } catch (error) {
    // Report the notes that did come out rather than nothing.
    timedOut = true;
    console.error(error.message);
  }
  changeGenerating(0);
  eventLoop = performance.eventLoopUtilization(eventLoopStart);
  if (sendError) throw sendError;
  // A short grace period to catch a late duplicate.
  await new Promise((resolve) => setTimeout(resolve, 2000));
} finally {
  await worker?.stop().catch(() => {});
  await reader?.disconnect().catch(() => {});
  await producer?.disconnect().catch(() => {});
}

// The peer: the same notes through forge.generate alone (no Kafka), closed loop with the same
// number outstanding, on the same loaded model: the model's own rate at that concurrency.
const peerGenerateMs = [];
let peerWallSeconds = Number.NaN;
try {
  const queue = events.map((event) => ({ ...event.note, id: `${event.note.id}-peer` }));
  const peerStarted = performance.now();
  await Promise.all(
    Array.from({ length: outstanding }, async () => {
      for (let note = queue.shift(); note; note = queue.shift()) {
        const started = performance.now();
        await forge.generate(note);
        peerGenerateMs.push(performance.now() - started);
        console.log(
          `peer note ${peerGenerateMs.length}/${noteCount}: generate ${((performance.now() - started) / 1000).toFixed(1)} s`,
        );
      }
    }),
  );
  peerWallSeconds = (performance.now() - peerStarted) / 1000;
} finally {
  await backend.dispose().catch(() => {});
}
const outputRecords = await recordCount(kafka, topics.output).catch(() => Number.NaN);
const deadLetterRecords = await recordCount(kafka, topics.deadLetter).catch(() => Number.NaN);
broker('stop');
const loadEnd = loadAverage();

const completed = events.filter((event) => timings.get(event.note.id).consumed !== undefined);
const perNote = completed.map((event) => {
  const timing = timings.get(event.note.id);
  const endToEnd = timing.consumed - timing.acknowledged;
  const generate = timing.generateEnd - timing.generateStart;
  return {
    noteId: event.note.id,
    outcome: timing.outcome,
    creatives: timing.creatives,
    accepted: timing.accepted,
    generateCalls: timing.generateCalls,
    backendCalls: timing.counts?.calls,
    titlesGenerated: timing.counts?.generated,
    endToEndMs: round(endToEnd, 1),
    generateMs: round(generate, 1),
    // Outside the forge: transport, plus waiting for the worker to take the note up and to deliver it.
    beforeGenerateMs: round(timing.generateStart - timing.acknowledged, 1),
    afterGenerateMs: round(timing.consumed - timing.generateEnd, 1),
  };
});
const column = (name) => perNote.map((note) => note[name]);
const summary = (values) => ({
  p50: round(percentile(values, 0.5), 1),
  p99: round(percentile(values, 0.99), 1),
  max: round(Math.max(...values), 1),
  mean: round(values.reduce((sum, value) => sum + value, 0) / values.length, 1),
});
const wallSeconds = (lastOutput - firstAck) / 1000;
const notesPerMinute = (completed.length / wallSeconds) * 60;
const totalConcurrency = concurrencyMilliseconds.reduce((sum, value) => sum + (value ?? 0), 0);
const concurrencyShare = concurrencyMilliseconds.map((value) => round((value ?? 0) / totalConcurrency, 3));
const meanGenerating =
  concurrencyMilliseconds.reduce((sum, value, count) => sum + count * (value ?? 0), 0) / totalConcurrency;
const endToEnd = summary(column('endToEndMs'));
const generate = summary(column('generateMs'));
const before = summary(column('beforeGenerateMs'));
const after = summary(column('afterGenerateMs'));
const kafkaShare = perNote.map((note) => (note.endToEndMs - note.generateMs) / note.endToEndMs);
// Notes that waited more than a second on either side of generation (transport alone is milliseconds).
const waitedBefore = perNote.filter((note) => note.beforeGenerateMs > 1000);
const waitedAfter = perNote.filter((note) => note.afterGenerateMs > 1000);
const medianWait = (notes, field) =>
  notes.length ? ` (median ${seconds(median(notes.map((note) => note[field])))} s)` : '';
const quickTransport = perNote.flatMap((note) =>
  [note.beforeGenerateMs, note.afterGenerateMs].filter((value) => value <= 1000),
);
const peer = summary(peerGenerateMs);
const peerNotesPerMinute = (peerGenerateMs.length / peerWallSeconds) * 60;
// The targets of issue 14 §4, against forge.generate inside the worker (same run).
const targets = {
  p50: { ratio: round(endToEnd.p50 / generate.p50, 3), bound: 1.1 },
  p99: { ratio: round(endToEnd.p99 / generate.p99, 3), bound: 1.3 },
  notesPerMinute: { ratio: round(notesPerMinute / peerNotesPerMinute, 3), bound: 1 },
};
const met = (name) =>
  name === 'notesPerMinute' ? targets[name].ratio >= 1 : targets[name].ratio <= targets[name].bound;
const countsOk =
  !timedOut && outputRecords + deadLetterRecords === noteCount && duplicates === 0 && received === noteCount;
const highLoad = Math.max(loadStart[0], loadEnd[0], loadMiddle[0] ?? 0) > 3;

const json = {
  benchmark: 'kafka-latency',
  description:
    'End-to-end latency per note through createKafkaWorker (at-least-once, maxInFlight 2, the windowed worker: fetching goes on while notes generate, each note delivered when ready) over a forge on the real default GGUF model, fed closed-loop: from the acknowledged produce of a NoteEvent to its CreativesEvent read by a read_committed consumer, next to the forge.generate time measured inside the worker.',
  machine: machineInfo(),
  loadAverage: { start: loadStart, middle: loadMiddle, end: loadEnd },
  broker: { port, partitions, script: 'scripts/kafka/broker.mjs', kafkajs: kafkajsVersion },
  settings: {
    notes: noteCount,
    outstanding,
    model: modelPath(),
    backend: { threads, sequences, gpu: false },
    titlesPerNote,
    rewardModels: ['usability'],
    workerDelivery: 'at-least-once',
    workerMaxInFlight: 2,
  },
  modelLoadSeconds: round(modelLoadSeconds, 1),
  warmUpNoteSeconds: round(warmUpSeconds, 1),
  results: {
    endToEndMs: endToEnd,
    generateMs: generate,
    beforeGenerateMs: before,
    afterGenerateMs: after,
    medianShareOutsideGenerate: round(median(kafkaShare), 3),
    medianTransportLegMs: round(median(quickTransport), 1),
    notesWaitingOverOneSecondBeforeGenerate: waitedBefore.length,
    notesWaitingOverOneSecondAfterGenerate: waitedAfter.length,
    wallSeconds: round(wallSeconds, 1),
    notesPerMinute: round(notesPerMinute, 2),
    completedNotes: completed.length,
    timedOut,
    eventLoopUtilization: round(eventLoop?.utilization, 3),
    meanNotesGenerating: round(meanGenerating, 2),
    shareOfTimeWithNotesGenerating: concurrencyShare,
    outputRecords,
    deadLetterRecords,
    duplicatesRead: duplicates,
    countsOk,
    peer: {
      description: 'forge.generate alone on the same notes, closed loop with the same number outstanding',
      generateMs: peer,
      wallSeconds: round(peerWallSeconds, 1),
      notesPerMinute: round(peerNotesPerMinute, 2),
    },
    targets: Object.fromEntries(Object.keys(targets).map((name) => [name, { ...targets[name], met: met(name) }])),
    perNote,
  },
};
const seconds = (milliseconds) => round(milliseconds / 1000, 3);
const table = markdownTable(
  ['per note', 'p50 (s)', 'p99 (s)', 'max (s)', 'mean (s)'],
  [
    ['end to end (produce acknowledged → CreativesEvent read)', ...Object.values(endToEnd).map(seconds)],
    ['forge.generate inside the worker', ...Object.values(generate).map(seconds)],
    ['acknowledged → generate starts (fetch; wait for a generation slot)', ...Object.values(before).map(seconds)],
    ['generate ends → output read (deliver, reader fetch)', ...Object.values(after).map(seconds)],
    [`peer: forge.generate alone, ${outstanding} at once, same notes`, ...Object.values(peer).map(seconds)],
  ],
);
const perNoteTable = markdownTable(
  [
    'note',
    'end to end (s)',
    'generate (s)',
    'before generate (s)',
    'after generate (s)',
    'backend calls',
    'titles generated',
    'accepted / creatives',
  ],
  perNote.map((note) => [
    note.noteId.replace(/-latency-.*$/, ''),
    seconds(note.endToEndMs),
    seconds(note.generateMs),
    seconds(note.beforeGenerateMs),
    seconds(note.afterGenerateMs),
    note.backendCalls ?? '–',
    note.titlesGenerated ?? '–',
    `${note.accepted ?? '–'} / ${note.creatives ?? '–'}`,
  ]),
);
console.log(
  `\n${table}\n\n${round(notesPerMinute, 2)} notes/min (peer ${round(peerNotesPerMinute, 2)}), targets ${JSON.stringify(targets)}, counts ${countsOk ? 'ok' : 'MISMATCH'}`,
);
const markdown = `# Kafka: end-to-end latency on the real model

Generated by \`bench/kafka/run.mjs --latency\` on ${json.machine.date}. Machine: ${json.machine.cpus} × ${json.machine.cpuModel}, Node ${json.machine.node}. Load average at start ${loadStart.join(' / ')}, half-way ${loadMiddle.join(' / ') || '–'}, at end ${loadEnd.join(' / ')}${highLoad ? ` — above 3 on 2 cores: other work shared the machine, so generation times are longer than on an idle machine` : ''}.

\`createKafkaWorker\` (at-least-once, default \`maxInFlight\` 2, kafkajs ${kafkajsVersion}) over \`createForge({ backend: await llamaCppBackend({ model: 'default', threads: ${threads}, sequences: ${sequences}, gpu: false }), rewardModels: [createUsabilityRewardModel()], titlesPerNote: ${titlesPerNote} })\` on \`${modelPath().replace(/^.*\//, '')}\`, local single-node broker (port ${port}, ${partitions} partitions). ${noteCount} sample notes (zh and en alternating, unique ids) fed closed-loop with ${outstanding} outstanding: the next note is produced when an output is read. Latency runs from the acknowledged produce (acks −1) to the CreativesEvent read by a \`read_committed\` consumer. Model load ${round(modelLoadSeconds, 1)} s and one warm-up note (2 titles, ${round(warmUpSeconds, 1)} s, outside Kafka) are not counted.${timedOut ? ` **The run timed out: ${completed.length} of ${noteCount} notes came out; the figures cover those.**` : ''}

${table}

- Throughput: **${round(notesPerMinute, 2)} notes/min** (${completed.length} notes in ${round(wallSeconds, 1)} s from the first acknowledged produce to the last output read).
- Targets (issue 14 §4), against forge.generate inside the worker in the same run: end-to-end p50 **${targets.p50.ratio}×** forge p50 (target ≤ 1.1: ${met('p50') ? 'met' : '**not met**'}), p99 **${targets.p99.ratio}×** forge p99 (≤ 1.3: ${met('p99') ? 'met' : '**not met**'}), notes/min **${targets.notesPerMinute.ratio}×** the model's own rate at ${outstanding} at once (${round(peerNotesPerMinute, 2)} notes/min for forge.generate alone on the same notes; ≥ 1: ${met('notesPerMinute') ? 'met' : '**not met**'}).
- Share of a note's end-to-end time spent outside forge.generate, median: **${round(median(kafkaShare) * 100, 1)} %**; where a note did not wait, acknowledged → generate start and generate end → output read took ${round(median(quickTransport), 0)} ms (median of ${quickTransport.length} such legs). ${waitedBefore.length} of ${perNote.length} notes waited more than 1 s before their generation started${medianWait(waitedBefore, 'beforeGenerateMs')} (all ${outstanding} generation slots were busy: the closed loop produces the next note as soon as an output is read, while the note behind it still generates); ${waitedAfter.length} waited more than 1 s after it${medianWait(waitedAfter, 'afterGenerateMs')}. The worker takes messages into a window as kafkajs fetches them, so fetching goes on while notes generate, and delivers each note when it is ready (at-least-once; output order is not input order).
- Notes generating at once, time-weighted mean: ${round(meanGenerating, 2)} (share of time with 0 / 1 / 2 notes generating: ${concurrencyShare.map((value) => `${round(value * 100, 0)} %`).join(' / ')}). The Node main thread (event loop: kafkajs, the forge's JavaScript, the reward model) was busy ${round((eventLoop?.utilization ?? Number.NaN) * 100, 0)} % of the run (event-loop utilisation).
- Counts: ${outputRecords} output and ${deadLetterRecords} dead-letter records for ${noteCount} notes, ${duplicates} duplicates read — ${countsOk ? 'each note exactly once' : '**MISMATCH**'}. Outcomes: ${[...new Set(outcomes)].map((outcome) => `${outcomes.filter((value) => value === outcome).length} × ${outcome}`).join(', ')}.

${perNoteTable}
`;
writeResults('kafka-latency', json, markdown);
