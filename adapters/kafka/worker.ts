import { type Span, SpanKind, SpanStatusCode, type Tracer, trace } from '@opentelemetry/api';
import type { Admin, Consumer, EachBatchPayload, KafkaConfig, KafkaMessage, Producer } from 'kafkajs';
import { CopyForgeError, isAbortError, toCopyForgeError } from '../../src/core/errors.js';
import { CopyForgeEvents } from '../../src/core/events.js';
import { abortable, sleep } from '../../src/core/sleep.js';
import { getDefaultTracer } from '../../src/core/telemetry.js';
import { parseNoteEvent, unknownFields } from '../../src/core/validation.js';
import type { Forge, ForgeResult } from '../../src/generation/forge.js';
import { loadKafkaJs } from './load-kafkajs.js';
import {
  buildCreativesRecord,
  buildDeadLetterRecord,
  formatTraceparent,
  headerNames,
  headerValue,
  type OutgoingRecord,
  parseTraceparent,
  type SourcePosition,
  withoutPayload,
} from './messages.js';

/** Options for {@link createKafkaWorker}. */
export interface KafkaWorkerOptions {
  /** Bootstrap brokers, e.g. `['127.0.0.1:19092']`. */
  brokers: string[];
  /** Consumer group; run more workers with the same id to scale out (partitions = parallelism). */
  groupId: string;
  /** Topic of NoteEvent JSON messages. @default 'notes.new' */
  inputTopic?: string;
  /** Topic of CreativesEvent JSON messages, keyed by note id. @default 'creatives.scored' */
  outputTopic?: string;
  /** Topic for inputs that cannot be processed, with the reason in headers. @default 'notes.dlq' */
  deadLetterTopic?: string;
  /** The forge that turns a note into scored creatives. */
  forge: Pick<Forge, 'generate'>;
  /**
   * `at-least-once`: offsets are committed after the output is acknowledged (idempotent
   * producer); a crash may repeat a note. `exactly-once`: output and offsets commit in one
   * Kafka transaction; consumers reading with `read_committed` see each note once.
   * @default 'at-least-once'
   */
  delivery?: 'at-least-once' | 'exactly-once';
  /** Notes processed at once per partition; fetching waits while the bound is reached. @default 2 */
  maxInFlight?: number;
  /** Partitions processed at once. @default 1 */
  partitionsConsumedConcurrently?: number;
  /** Attempts for a note whose generation fails with a retriable error before it is dead-lettered. @default 3 */
  maxAttempts?: number;
  /** Base delay of the exponential backoff between attempts, in ms. @default 500 */
  retryBackoffMs?: number;
  /**
   * Deadline of one attempt at a note, in ms: a generation that hangs past it fails with
   * `CF_TIMEOUT` (retried, then dead-lettered) instead of stalling its partition forever.
   * @default 300000
   */
  noteTimeoutMs?: number;
  /** Largest accepted message value in bytes; larger go to the dead-letter topic. @default 65536 */
  maxMessageBytes?: number;
  /**
   * Largest dead letter in bytes (key, value, headers). An input near the topic's limit plus
   * the error headers would not fit the dead-letter topic: its payload is cut to fit and the
   * original size goes in `copyforge-payload-truncated`; a topic that still refuses it gets
   * the dead letter without payload. Set it below the dead-letter topic's `max.message.bytes`.
   * @default 1000000 (Kafka's default limit is 1048588)
   */
  maxDeadLetterBytes?: number;
  /** Consumer session timeout, ms. The worker heartbeats while a note is generated. @default 30000 */
  sessionTimeoutMs?: number;
  /** Heartbeat interval, ms. @default 3000 */
  heartbeatIntervalMs?: number;
  /** Create the output and dead-letter topics when missing. @default true */
  createTopics?: boolean;
  /** Partitions of topics the worker creates. @default 3 */
  topicPartitions?: number;
  /** Extra kafkajs client settings (ssl, sasl, logLevel, retry...). */
  kafka?: Omit<KafkaConfig, 'brokers'>;
  /** Client id. @default 'copyforge-worker' */
  clientId?: string;
  /** Receives `kafka.*` events. @default a new emitter, exposed as `worker.events` */
  events?: CopyForgeEvents;
  /** Tracer for per-note spans. @default the global tracer */
  tracer?: Tracer;
}

/** Live counters of a worker. */
export interface KafkaWorkerMetrics {
  /** Notes whose creatives were produced. */
  processed: number;
  /** Messages sent to the dead-letter topic. */
  deadLettered: number;
  /** Attempts that failed (including retried ones). */
  failedAttempts: number;
  /** Notes being worked on now. */
  inFlight: number;
  /** Times this worker joined its group (1 when no rebalance happened). */
  groupJoins: number;
  /** Times the kafkajs consumer crashed (restarted or not). */
  crashes: number;
  /** Events processed that carried fields the schema does not list (accepted and ignored). */
  unknownFields: number;
}

/** A running Kafka worker. */
export interface KafkaWorker {
  /** Connects, subscribes and starts consuming; resolves once consuming has started. */
  start(): Promise<void>;
  /**
   * Stops fetching, lets in-flight notes finish until `deadlineMs`, then abandons the rest
   * without committing them (they are re-delivered), and disconnects.
   */
  stop(options?: { deadlineMs?: number }): Promise<void>;
  /** Current counters. */
  metrics(): KafkaWorkerMetrics;
  /**
   * Settles when the worker is finished: resolves after {@link stop}, rejects with
   * `CF_KAFKA_FAILED` when the consumer crashed and kafkajs cannot restart it (a
   * non-retriable error: the worker has stopped and disconnected; restart the process).
   * Crashes kafkajs restarts from only emit `kafka.consumer-crashed`.
   */
  done(): Promise<void>;
  /** Event emitter of this worker. */
  readonly events: CopyForgeEvents;
}

type Outcome =
  | { kind: 'output'; message: KafkaMessage; record: OutgoingRecord; noteId: string }
  | { kind: 'dead-letter'; message: KafkaMessage; record: OutgoingRecord; error: CopyForgeError }
  | { kind: 'abandoned'; message: KafkaMessage };

/**
 * Creates a worker that consumes NoteEvents, runs the forge, and produces one
 * CreativesEvent per note; bad input goes to the dead-letter topic and the worker
 * keeps going.
 *
 * @example
 * const worker = createKafkaWorker({ brokers: ['127.0.0.1:19092'], groupId: 'copyforge', forge });
 * await worker.start();
 * process.once('SIGTERM', () => worker.stop());
 */
export function createKafkaWorker(options: KafkaWorkerOptions): KafkaWorker {
  const inputTopic = options.inputTopic ?? 'notes.new';
  const outputTopic = options.outputTopic ?? 'creatives.scored';
  const deadLetterTopic = options.deadLetterTopic ?? 'notes.dlq';
  const delivery = options.delivery ?? 'at-least-once';
  const maxInFlight = options.maxInFlight ?? 2;
  const maxAttempts = options.maxAttempts ?? 3;
  const retryBackoffMs = options.retryBackoffMs ?? 500;
  const noteTimeoutMs = options.noteTimeoutMs ?? 300_000;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3000;
  const events = options.events ?? new CopyForgeEvents();
  const tracer = options.tracer ?? getDefaultTracer();
  if (!options.brokers?.length) {
    throw new CopyForgeError('CF_INVALID_CONFIG', "'brokers' must list at least one broker.", {
      issues: [{ path: '/brokers', rule: 'minItems', message: "'/brokers' must not be empty" }],
    });
  }
  if (!Number.isFinite(noteTimeoutMs) || noteTimeoutMs < 1 || noteTimeoutMs > 2 ** 31 - 1) {
    throw new CopyForgeError(
      'CF_INVALID_CONFIG',
      `'noteTimeoutMs' must be a number in 1..2147483647, got ${noteTimeoutMs}.`,
      {
        issues: [{ path: '/noteTimeoutMs', rule: 'range', message: "'/noteTimeoutMs' must be in 1..2147483647" }],
      },
    );
  }
  if (!Number.isInteger(maxInFlight) || maxInFlight < 1) {
    throw new CopyForgeError('CF_INVALID_CONFIG', `'maxInFlight' must be a positive integer, got ${maxInFlight}.`);
  }
  const maxDeadLetterBytes = options.maxDeadLetterBytes ?? 1_000_000;
  const counters: KafkaWorkerMetrics = {
    processed: 0,
    deadLettered: 0,
    failedAttempts: 0,
    inFlight: 0,
    groupJoins: 0,
    crashes: 0,
    unknownFields: 0,
  };
  let settle: { resolve: () => void; reject: (error: CopyForgeError) => void } | undefined;
  const finished = new Promise<void>((resolve, reject) => {
    settle = { resolve, reject };
  });
  // Nobody may be waiting on done(); an unobserved crash must not become an unhandled rejection.
  finished.catch(() => {});
  const abandon = new AbortController();
  let consumer: Consumer | undefined;
  let producer: Producer | undefined;
  const transactionalProducers = new Map<number, Promise<Producer>>();
  let createProducer: ((transactionalId?: string) => Producer) | undefined;
  // Exactly-once: an admin client to read committed offsets after fencing, the group
  // generation this member is in (counted by joins), and per partition the committed offset
  // read once it was taken over in that generation.
  let admin: Admin | undefined;
  let generation = 0;
  const committedFloor = new Map<number, { generation: number; offset: bigint }>();
  let stopping = false;

  async function processMessage(message: KafkaMessage, source: SourcePosition, signal: AbortSignal): Promise<Outcome> {
    const incoming = parseTraceparent(headerValue(message.headers, headerNames.traceparent));
    return tracer.startActiveSpan(
      'copyforge.kafka.note',
      {
        kind: SpanKind.CONSUMER,
        attributes: {
          'copyforge.kafka.topic': source.topic,
          'copyforge.kafka.partition': source.partition,
          'copyforge.kafka.offset': source.offset,
        },
        links: incoming ? [{ context: incoming }] : [],
      },
      async (span: Span) => {
        counters.inFlight++;
        try {
          const outcome = await generateWithRetries(message, source, span, signal);
          if (outcome.kind === 'dead-letter') {
            span.setAttribute('copyforge.error.code', outcome.error.code);
            span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.error.message });
          }
          return outcome;
        } finally {
          counters.inFlight--;
          span.end();
        }
      },
    );
  }

  async function generateWithRetries(
    message: KafkaMessage,
    source: SourcePosition,
    span: Span,
    signal: AbortSignal,
  ): Promise<Outcome> {
    const deadLetter = (error: CopyForgeError): Outcome => ({
      kind: 'dead-letter',
      message,
      error,
      record: buildDeadLetterRecord({ key: message.key, value: message.value }, source, error, {
        maxBytes: maxDeadLetterBytes,
      }),
    });
    let event: ReturnType<typeof parseNoteEvent>;
    try {
      if (message.value === null) throw new CopyForgeError('CF_INVALID_JSON', 'The message has no value.');
      event = parseNoteEvent(message.value, { maxBytes: options.maxMessageBytes ?? 65_536 });
    } catch (error) {
      return deadLetter(toCopyForgeError(error, 'CF_INVALID_EVENT'));
    }
    span.setAttribute('copyforge.note.id', event.note.id);
    // Fields an upstream added are accepted; count the events that carry any.
    if (unknownFields(event).length > 0) counters.unknownFields++;
    let lastError: CopyForgeError | undefined;
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      if (signal.aborted) return { kind: 'abandoned', message };
      try {
        // Raced against the signal: a forge that ignores it cannot hold shutdown past its deadline.
        const result: ForgeResult = await abortable(
          options.forge.generate(event.note, { signal, timeoutMs: noteTimeoutMs }),
          signal,
        );
        const own = span.spanContext();
        const traceparent = trace.isSpanContextValid(own)
          ? formatTraceparent(own)
          : headerValue(message.headers, headerNames.traceparent);
        const { record } = buildCreativesRecord(result, source, { sourceEventId: event.eventId, traceparent });
        return { kind: 'output', message, record, noteId: result.noteId };
      } catch (thrown) {
        if (signal.aborted && isAbortError(thrown)) return { kind: 'abandoned', message };
        counters.failedAttempts++;
        lastError = toCopyForgeError(thrown, 'CF_GENERATION_FAILED');
        if (!lastError.retriable) break;
        if (attempt < maxAttempts) {
          // Backoff; an abort (shutdown deadline) ends the wait early.
          await sleep(retryBackoffMs * 2 ** (attempt - 1), signal).catch(() => {});
        }
      }
    }
    const error = lastError as CopyForgeError;
    return deadLetter(
      error.retriable
        ? new CopyForgeError('CF_GENERATION_FAILED', `Failed after ${maxAttempts} attempts: ${error.message}`, {
            cause: error,
          })
        : error,
    );
  }

  function transactionalProducer(partition: number): Promise<Producer> {
    // One transactional id per input partition: whoever takes the partition over fences
    // the previous owner's producer (pre-KIP-447 scheme, what kafkajs supports).
    let pending = transactionalProducers.get(partition);
    if (!pending) {
      const created = (createProducer as (id?: string) => Producer)(transactionalIdOf(partition));
      pending = created.connect().then(() => created);
      transactionalProducers.set(partition, pending);
    }
    return pending;
  }

  function transactionalIdOf(partition: number): string {
    return `${options.groupId}.${inputTopic}.${partition}`;
  }

  /** Forgets a partition's transactional producer (fenced, or replaced) and disconnects it. */
  function dropTransactionalProducer(partition: number, pending: Promise<Producer> | undefined): void {
    if (!pending || transactionalProducers.get(partition) !== pending) return;
    transactionalProducers.delete(partition);
    void pending.then((fenced) => fenced.disconnect()).catch(() => {});
  }

  /**
   * Exactly-once, first batch of a partition in a new group generation: takes the partition's
   * transactional id over before anything is read or produced. Initialising it fences every
   * older producer with the id — an expelled member still generating can no longer commit —
   * and waits for a transaction it was committing to finish. Only then is the committed
   * offset final; kafkajs read it when the generation started, possibly before that commit,
   * so it is read again, and messages below it are skipped: they were delivered already.
   */
  async function fencePartition(partition: number): Promise<bigint> {
    dropTransactionalProducer(partition, transactionalProducers.get(partition));
    const fresh = (createProducer as (id?: string) => Producer)(transactionalIdOf(partition));
    const pending = fresh.connect().then(async () => {
      // InitProducerId is sent on the first transaction; an empty one sends nothing else.
      const transaction = await fresh.transaction();
      await transaction.abort();
      return fresh;
    });
    transactionalProducers.set(partition, pending);
    try {
      await pending;
    } catch (error) {
      dropTransactionalProducer(partition, pending);
      throw error;
    }
    const [entry] = await (admin as Admin).fetchOffsets({ groupId: options.groupId, topics: [inputTopic] });
    const committed = entry?.partitions.find((candidate) => candidate.partition === partition)?.offset ?? '-1';
    return BigInt(committed);
  }

  type Delivered = Exclude<Outcome, { kind: 'abandoned' }>;

  /**
   * Produces the outcomes of consecutive messages of one partition in one request and
   * commits past the last of them: a backlog costs one produce and one commit per group of
   * finished notes, not per note. Offsets move only after the outputs are acknowledged.
   */
  async function deliver(
    outcomes: Delivered[],
    position: { topic: string; partition: number },
    commitOffsets: EachBatchPayload['commitOffsetsIfNecessary'],
  ): Promise<void> {
    const last = outcomes.at(-1);
    if (!last) return;
    const nextOffset = (BigInt(last.message.offset) + 1n).toString();
    const send = async (records: (outcome: Delivered) => OutgoingRecord) => {
      const byTopic = new Map<string, OutgoingRecord[]>();
      for (const outcome of outcomes) {
        const topic = outcome.kind === 'output' ? outputTopic : deadLetterTopic;
        const list = byTopic.get(topic) ?? [];
        list.push(records(outcome));
        byTopic.set(topic, list);
      }
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      if (delivery === 'exactly-once') {
        const pending = transactionalProducer(position.partition);
        const transactional = await pending;
        const transaction = await transactional.transaction();
        try {
          await transaction.sendBatch({ topicMessages });
          await transaction.sendOffsets({
            consumerGroupId: options.groupId,
            topics: [{ topic: position.topic, partitions: [{ partition: position.partition, offset: nextOffset }] }],
          });
          await transaction.commit();
        } catch (error) {
          await transaction.abort().catch(() => {});
          // Another member (or this one, in a newer generation) owns the partition now: its
          // producer fenced this one. Nothing of the transaction is visible; the new owner
          // delivers these notes. Drop the fenced producer so it is never used again.
          if (hasErrorType(error, fencedTypes)) {
            dropTransactionalProducer(position.partition, pending);
            throw new PartitionLostError(position.partition, error);
          }
          throw error;
        }
      } else {
        await (producer as Producer).sendBatch({ acks: -1, topicMessages });
        // Through the batch, not consumer.commitOffsets(): kafkajs drops the latter silently once
        // consumer.stop() has begun, which would leave notes finished during shutdown uncommitted.
        await commitOffsets({
          topics: [{ topic: position.topic, partitions: [{ partition: position.partition, offset: nextOffset }] }],
        });
      }
    };
    try {
      await send((outcome) => outcome.record);
    } catch (error) {
      // A dead-letter topic with a lower limit than maxDeadLetterBytes: send the dead letters
      // without their payload (the source headers still find the original) rather than crash
      // on the same input forever.
      if (!hasErrorType(error, tooLargeTypes) || !outcomes.some((outcome) => outcome.kind === 'dead-letter'))
        throw error;
      await send((outcome) => (outcome.kind === 'dead-letter' ? withoutPayload(outcome.record) : outcome.record));
    }
    for (const outcome of outcomes) {
      const source = { ...position, offset: outcome.message.offset };
      if (outcome.kind === 'output') {
        counters.processed++;
        events.emit('kafka.message-processed', { ...source, noteId: outcome.noteId });
      } else {
        counters.deadLettered++;
        events.emit('kafka.message-dead-lettered', { ...source, code: outcome.error.code });
      }
    }
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset, heartbeat, isRunning, isStale } = payload;
    const position = { topic: batch.topic, partition: batch.partition };
    // Rebalance means stop and let go: a heartbeat that reports one (or that this member was
    // expelled) aborts the notes in hand, nothing more is delivered from this batch, and the
    // error goes back to kafkajs, which rejoins the group. The notes are re-delivered to the
    // partition's next owner, which may be this worker again.
    const lost = new AbortController();
    let lostBecause: unknown;
    const signal = AbortSignal.any([abandon.signal, lost.signal]);
    const onHeartbeatError = (error: unknown) => {
      if (!hasErrorType(error, groupLostTypes) || lost.signal.aborted) return;
      lostBecause = error;
      lost.abort();
    };
    const beat = () => heartbeat().catch(onHeartbeatError);
    // Heartbeat while notes are generated, so slow notes do not get this member evicted.
    const timer = setInterval(beat, heartbeatIntervalMs);
    let messages = batch.messages;
    // A window of at most maxInFlight notes being generated, in offset order; finished notes
    // at its head are delivered together while the ones behind them keep generating.
    const window: { settled: boolean; outcome: Promise<Outcome> }[] = [];
    try {
      if (delivery === 'exactly-once') {
        let floor = committedFloor.get(position.partition);
        if (floor === undefined || floor.generation !== generation) {
          const taken = generation;
          floor = { generation: taken, offset: await fencePartition(position.partition) };
          committedFloor.set(position.partition, floor);
        }
        const below = floor.offset;
        const skipped = messages.filter((message) => BigInt(message.offset) < below);
        messages = messages.filter((message) => BigInt(message.offset) >= below);
        // Delivered by the partition's previous owner after this generation read its offset.
        const lastSkipped = skipped.at(-1);
        if (lastSkipped) resolveOffset(lastSkipped.offset);
      }
      let next = 0;
      const fill = () => {
        while (window.length < maxInFlight && next < messages.length) {
          if (stopping || lost.signal.aborted || !isRunning() || isStale()) return;
          const message = messages[next++] as KafkaMessage;
          const entry = {
            settled: false,
            outcome: processMessage(message, { ...position, offset: message.offset }, signal),
          };
          entry.outcome.then(
            () => {
              entry.settled = true;
            },
            () => {
              entry.settled = true;
            },
          );
          window.push(entry);
        }
      };
      fill();
      while (window.length > 0) {
        await (window[0] as (typeof window)[number]).outcome;
        const ready: Delivered[] = [];
        let abandoned = false;
        while (window[0]?.settled) {
          const outcome = await (window.shift() as (typeof window)[number]).outcome;
          // Abandoned work stays uncommitted: it is re-delivered to whoever owns the partition next.
          if (outcome.kind === 'abandoned') {
            abandoned = true;
            break;
          }
          ready.push(outcome);
        }
        if (isStale() || lost.signal.aborted) break;
        if (!abandoned) fill();
        try {
          await deliver(ready, position, payload.commitOffsetsIfNecessary);
        } catch (error) {
          if (!(error instanceof PartitionLostError)) throw error;
          // Fenced: take the partition over again (fence, re-read the offset) before the next
          // batch of it, and let the heartbeat say whether this member is still in the group.
          committedFloor.delete(position.partition);
          lost.abort();
          lostBecause = await heartbeat().then(
            () => error,
            (heartbeatError: unknown) => heartbeatError,
          );
          break;
        }
        const last = ready.at(-1);
        if (last) resolveOffset(last.message.offset);
        await beat();
        if (abandoned) break;
      }
    } finally {
      clearInterval(timer);
      // Whatever is still generating (abandoned, stale or failed batch) is not delivered here.
      for (const entry of window) entry.outcome.catch(() => {});
    }
    if (lost.signal.aborted && !stopping) {
      events.emit('kafka.partition-released', { ...position, reason: errorText(lostBecause) });
      throw lostBecause;
    }
  }

  return {
    events,
    metrics: () => ({ ...counters }),
    async start() {
      const { Kafka, logLevel, Partitioners } = await loadKafkaJs();
      const kafka = new Kafka({
        clientId: options.clientId ?? 'copyforge-worker',
        logLevel: logLevel.WARN,
        ...options.kafka,
        brokers: options.brokers,
      });
      createProducer = (transactionalId) =>
        kafka.producer({
          idempotent: true,
          maxInFlightRequests: 1,
          allowAutoTopicCreation: false,
          createPartitioner: Partitioners.DefaultPartitioner,
          ...(transactionalId ? { transactionalId } : {}),
        });
      if (options.createTopics ?? true) {
        const admin = kafka.admin();
        await admin.connect();
        try {
          const existing = new Set(await admin.listTopics());
          const missing = [inputTopic, outputTopic, deadLetterTopic].filter((topic) => !existing.has(topic));
          if (missing.length > 0) {
            await admin.createTopics({
              waitForLeaders: true,
              topics: missing.map((topic) => ({ topic, numPartitions: options.topicPartitions ?? 3 })),
            });
          }
        } finally {
          await admin.disconnect();
        }
      }
      if (delivery === 'at-least-once') {
        producer = createProducer();
        await producer.connect();
      } else {
        admin = kafka.admin();
        await admin.connect();
      }
      const sessionTimeout = options.sessionTimeoutMs ?? 30_000;
      consumer = kafka.consumer({
        groupId: options.groupId,
        sessionTimeout,
        rebalanceTimeout: Math.max(sessionTimeout * 2, 60_000),
        heartbeatInterval: heartbeatIntervalMs,
        readUncommitted: false,
        allowAutoTopicCreation: false,
      });
      consumer.on(consumer.events.GROUP_JOIN, () => {
        counters.groupJoins++;
        generation++;
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        counters.crashes++;
        const restarting = payload.restart === true;
        const error = payload.error as Error;
        const reason = errorText(error);
        events.emit('kafka.consumer-crashed', { error: reason, restarting });
        // kafkajs restarts after retriable errors; after any other it has disconnected the
        // consumer for good. A worker that stays up then would be a silent zombie: stop it.
        if (!restarting && !stopping) {
          void shutDown(
            new CopyForgeError('CF_KAFKA_FAILED', `The Kafka consumer crashed and cannot restart: ${reason}`, {
              cause: error,
              details: { groupId: options.groupId, inputTopic },
            }),
          );
        }
      });
      await consumer.connect();
      await consumer.subscribe({ topics: [inputTopic], fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatchAutoResolve: false,
        partitionsConsumedConcurrently: options.partitionsConsumedConcurrently ?? 1,
        eachBatch,
      });
    },
    stop: (stopOptions = {}) => shutDown(undefined, stopOptions.deadlineMs),
    done: () => finished,
  };

  async function shutDown(crash: CopyForgeError | undefined, deadlineMs = 30_000): Promise<void> {
    if (stopping) return;
    stopping = true;
    const deadline = setTimeout(() => abandon.abort(), crash ? 0 : deadlineMs);
    try {
      await consumer?.stop().catch((error: unknown) => {
        if (!crash) throw error;
      });
      await consumer?.disconnect().catch((error: unknown) => {
        if (!crash) throw error;
      });
    } finally {
      clearTimeout(deadline);
      abandon.abort();
      await producer?.disconnect().catch(() => {});
      for (const pending of transactionalProducers.values()) {
        await pending.then((transactional) => transactional.disconnect()).catch(() => {});
      }
      await admin?.disconnect().catch(() => {});
      if (crash) settle?.reject(crash);
      else settle?.resolve();
    }
  }
}

/** Produce errors of a record or batch over a topic's or broker's size limit. */
const tooLargeTypes = ['MESSAGE_TOO_LARGE', 'RECORD_LIST_TOO_LARGE'];
/** Errors that mean this member's view of the group is over: rejoin (what kafkajs does on them). */
const groupLostTypes = [
  'REBALANCE_IN_PROGRESS',
  'ILLEGAL_GENERATION',
  'UNKNOWN_MEMBER_ID',
  'NOT_COORDINATOR_FOR_GROUP',
  'FENCED_INSTANCE_ID',
];
/** Errors of a transactional producer that a newer one with the same id has fenced. */
const fencedTypes = ['INVALID_PRODUCER_EPOCH', 'PRODUCER_FENCED'];

/** Whether a kafkajs error, or one it wraps, has one of the protocol error `types`. */
function hasErrorType(error: unknown, types: readonly string[]): boolean {
  const seen = new Set<unknown>();
  const visit = (value: unknown): boolean => {
    if (typeof value !== 'object' || value === null || seen.has(value)) return false;
    seen.add(value);
    const candidate = value as { type?: unknown; cause?: unknown; errors?: unknown; originalError?: unknown };
    if (typeof candidate.type === 'string' && types.includes(candidate.type)) return true;
    return (
      visit(candidate.cause) ||
      visit(candidate.originalError) ||
      (Array.isArray(candidate.errors) && candidate.errors.some(visit))
    );
  };
  return visit(error);
}

function errorText(error: unknown): string {
  const candidate = error as { name?: unknown; message?: unknown } | undefined;
  return typeof candidate?.message === 'string'
    ? `${typeof candidate.name === 'string' ? candidate.name : 'Error'}: ${candidate.message}`
    : String(error);
}

/** This worker's transactional producer of a partition was fenced by a newer owner. */
class PartitionLostError extends Error {
  constructor(
    readonly partition: number,
    cause: unknown,
  ) {
    super(`The producer of partition ${partition} was fenced by a newer owner: ${errorText(cause)}`, { cause });
    this.name = 'PartitionLostError';
  }
}
