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
  /**
   * Notes generated at once by this worker, across its partitions (which take turns).
   * Fetching goes on while they generate: a partition is fetched from again once fewer than
   * `maxInFlight` of its fetched messages wait for a slot. @default 2
   */
  maxInFlight?: number;
  /**
   * Messages of one partition accepted and not yet committed, at most; the partition is
   * paused at the bound. Offsets are committed only up to the first unfinished note, so a
   * slow note holds this many behind it (at-least-once delivers them meanwhile; a crash
   * repeats them). Also the most taken from one fetched batch. @default 1000
   */
  maxPendingPerPartition?: number;
  /**
   * Batches kafkajs hands to the worker at once. The worker takes a batch's messages into its
   * window and returns, so 1 no longer holds other partitions back. @default 1
   */
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
  /**
   * Consumer session timeout, ms. kafkajs heartbeats while notes generate (the worker never
   * blocks its loop), so it can be short: it is also how long a restarted worker's `start()`
   * waits for the group to drop the member it replaces (measured 8.0 s at 10 s, 28.0 s at
   * 30 s). @default 10000
   */
  sessionTimeoutMs?: number;
  /**
   * Longest wait of one fetch, ms: how long the broker holds a fetch when there is no new
   * data, and how long kafkajs sleeps while every partition is paused (a full window) — so
   * also how soon a partition resumes once a note finishes. @default 1000
   */
  fetchMaxWaitMs?: number;
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
  const maxPendingPerPartition = options.maxPendingPerPartition ?? 1000;
  if (!Number.isInteger(maxPendingPerPartition) || maxPendingPerPartition < 1) {
    throw new CopyForgeError(
      'CF_INVALID_CONFIG',
      `'maxPendingPerPartition' must be a positive integer, got ${maxPendingPerPartition}.`,
      {
        issues: [
          { path: '/maxPendingPerPartition', rule: 'minimum', message: "'/maxPendingPerPartition' must be at least 1" },
        ],
      },
    );
  }
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
  // Exactly-once: an admin client to read committed offsets after fencing. The group
  // generation this member is in, counted by joins.
  let admin: Admin | undefined;
  let generation = 0;
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
      // The deadline is enforced here too: a forge that ignores its timeoutMs cannot hold a
      // generation slot past it.
      const attemptDeadline = new AbortController();
      const deadline = setTimeout(
        () =>
          attemptDeadline.abort(
            new CopyForgeError('CF_TIMEOUT', `Note '${event.note.id}' was not done within ${noteTimeoutMs} ms.`, {
              details: { noteId: event.note.id, timeoutMs: noteTimeoutMs },
            }),
          ),
        noteTimeoutMs,
      );
      const attemptSignal = AbortSignal.any([signal, attemptDeadline.signal]);
      try {
        // Raced against the signal: a forge that ignores it cannot hold shutdown past its deadline.
        const result: ForgeResult = await abortable(
          options.forge.generate(event.note, { signal: attemptSignal, timeoutMs: noteTimeoutMs }),
          attemptSignal,
        ).catch((error: unknown) => {
          const reason = attemptDeadline.signal.reason;
          throw !signal.aborted && reason instanceof CopyForgeError ? reason : error;
        });
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
      } finally {
        clearTimeout(deadline);
      }
    }
    const error = lastError as CopyForgeError;
    return deadLetter(
      error.retriable
        ? // A note that ran out of time on every attempt keeps its code: CF_TIMEOUT.
          new CopyForgeError(
            error.code === 'CF_TIMEOUT' ? 'CF_TIMEOUT' : 'CF_GENERATION_FAILED',
            `Failed after ${maxAttempts} attempts: ${error.message}`,
            { cause: error },
          )
        : error,
    );
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

  /** One accepted message of a partition, from acceptance until its offset is committed. */
  interface Slot {
    /** Dropped once delivered: an uncommitted slot then costs its offset only. */
    message?: KafkaMessage;
    readonly offset: string;
    readonly window: PartitionWindow;
    state: 'queued' | 'generating' | 'done' | 'delivered';
    outcome?: Delivered;
  }

  /**
   * What this worker holds of one partition in one group generation: the messages accepted
   * and not yet committed, in offset order. Fetching goes on while they generate (kafkajs'
   * fetch position moves as messages are accepted; offsets are committed only for the
   * contiguous delivered prefix), and the partition is paused while it holds its share.
   */
  interface PartitionWindow {
    readonly topic: string;
    readonly partition: number;
    readonly generation: number;
    readonly slots: Slot[];
    /** Aborted when the partition is let go: its notes in hand are abandoned uncommitted. */
    readonly abort: AbortController;
    readonly signal: AbortSignal;
    /** Offsets below it are not accepted again (kafkajs may hand out a batch twice). */
    nextOffset: bigint;
    /** Messages accepted, not yet generating, in offset order. */
    readonly waiting: Slot[];
    /** The latest batch's explicit commit, bound to this generation's group membership. */
    commit: EachBatchPayload['commitOffsetsIfNecessary'];
    flushing?: Promise<void>;
    flushAgain: boolean;
    retryTimer?: NodeJS.Timeout;
    /** Failed deliveries in a row, and how many of the last of them kafkajs called permanent. */
    retries: number;
    permanentFailures: number;
    released: boolean;
  }

  const windows = new Map<number, PartitionWindow>();
  /** The partition served last by pump(): partitions take turns at the generation slots. */
  let lastServed = -1;
  let generating = 0;
  /** True from a rebalance kafkajs reported until this member has joined again. */
  let rebalancing = false;
  const idleWaiters = new Set<() => void>();

  function openWindow(topic: string, partition: number, commit: PartitionWindow['commit']): PartitionWindow {
    const abort = new AbortController();
    const window: PartitionWindow = {
      topic,
      partition,
      generation,
      slots: [],
      abort,
      signal: AbortSignal.any([abandon.signal, abort.signal]),
      nextOffset: -1n,
      waiting: [],
      commit,
      flushAgain: false,
      retries: 0,
      permanentFailures: 0,
      released: false,
    };
    windows.set(partition, window);
    return window;
  }

  /**
   * Lets a partition go (rebalance, new generation, fenced, crash): its notes in hand are
   * aborted, nothing more of it is delivered or committed; whoever owns the partition next,
   * this worker included, gets the uncommitted messages again.
   */
  function releaseWindow(window: PartitionWindow, reason: string): void {
    if (window.released) return;
    window.released = true;
    if (windows.get(window.partition) === window) windows.delete(window.partition);
    clearTimeout(window.retryTimer);
    window.abort.abort();
    if (window.slots.some((slot) => slot.state !== 'delivered') && !stopping) {
      events.emit('kafka.partition-released', { topic: window.topic, partition: window.partition, reason });
    }
    // Paused for lack of room in a window that is gone: fetch again (not while rebalancing;
    // the join resumes everything).
    if (!rebalancing && !stopping) resumePartition(window.partition);
    notifyIdle();
  }

  /**
   * Releases a window within the same generation (no rejoin follows by itself): kafkajs'
   * fetch position is past the messages the window held, so it is moved back to the first
   * uncommitted one, or they would not come again until the next rebalance.
   */
  function letGo(window: PartitionWindow, reason: string): void {
    const first = window.slots[0]?.offset;
    releaseWindow(window, reason);
    if (first === undefined || stopping || rebalancing) return;
    try {
      consumer?.seek({ topic: window.topic, partition: window.partition, offset: first });
    } catch {
      // Not assigned any more: the rejoin takes care of it.
    }
  }

  function releaseAll(reason: string): void {
    for (const window of [...windows.values()]) releaseWindow(window, reason);
  }

  /**
   * Whether `window` may fetch more: fewer messages waiting than there are generation slots,
   * and fewer than `maxPendingPerPartition` uncommitted. Otherwise the partition is paused.
   */
  function hasRoom(window: PartitionWindow): boolean {
    return window.waiting.length < maxInFlight && window.slots.length < maxPendingPerPartition;
  }

  /** Partitions this worker paused (for lack of room, or while rebalancing). */
  const paused = new Set<number>();

  function pausePartition(partition: number): void {
    paused.add(partition);
    consumer?.pause([{ topic: inputTopic, partitions: [partition] }]);
  }

  function resumePartition(partition: number): void {
    if (!paused.delete(partition)) return;
    try {
      consumer?.resume([{ topic: inputTopic, partitions: [partition] }]);
    } catch {
      // The consumer is gone (crashed or stopping): nothing to resume.
    }
  }

  function resumeIfRoom(window: PartitionWindow): void {
    if (window.released || stopping || rebalancing || !hasRoom(window)) return;
    resumePartition(window.partition);
  }

  async function eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch, resolveOffset } = payload;
    if (stopping || rebalancing) {
      // Not accepted, not resolved: fetched again by whoever owns the partition next.
      pausePartition(batch.partition);
      return;
    }
    let window = windows.get(batch.partition);
    if (!window || window.generation !== generation) {
      if (window) releaseWindow(window, 'a new group generation began');
      const taken = generation;
      // Exactly-once: fence the partition's transactional id, then read the committed offset.
      const floor = delivery === 'exactly-once' ? await fencePartition(batch.partition) : -1n;
      if (taken !== generation || stopping) return;
      window = openWindow(batch.topic, batch.partition, payload.commitOffsetsIfNecessary);
      window.nextOffset = floor;
    }
    window.commit = payload.commitOffsetsIfNecessary;
    // The whole fetched batch is taken (kafkajs bounds its size), so it is never fetched twice;
    // past maxPendingPerPartition the rest stays unresolved and is fetched again later.
    for (const message of batch.messages) {
      const offset = BigInt(message.offset);
      // Below the floor: delivered by the partition's previous owner after this generation
      // read its offset, or accepted already from an earlier copy of this batch.
      if (offset < window.nextOffset) continue;
      if (window.slots.length >= maxPendingPerPartition) break;
      const slot: Slot = { message, offset: message.offset, window, state: 'queued' };
      window.slots.push(slot);
      window.waiting.push(slot);
      window.nextOffset = offset + 1n;
      // Moves kafkajs' fetch position only; offsets are committed by flush().
      resolveOffset(message.offset);
    }
    if (!hasRoom(window)) pausePartition(window.partition);
    pump();
  }

  /** The next message to generate: partitions with waiting messages take turns, each in offset order. */
  function nextWaiting(): Slot | undefined {
    let chosen: PartitionWindow | undefined;
    for (const window of windows.values()) {
      if (window.released || window.waiting.length === 0) continue;
      const after = window.partition > lastServed;
      const chosenAfter = chosen !== undefined && chosen.partition > lastServed;
      if (!chosen || (after && !chosenAfter) || (after === chosenAfter && window.partition < chosen.partition)) {
        chosen = window;
      }
    }
    if (!chosen) return undefined;
    lastServed = chosen.partition;
    return chosen.waiting.shift();
  }

  /** Starts waiting messages while fewer than `maxInFlight` notes generate. */
  function pump(): void {
    while (generating < maxInFlight && !stopping) {
      const slot = nextWaiting();
      if (!slot) return;
      const { window } = slot;
      // Waiting slots still hold their message; only delivered ones drop it.
      const message = slot.message as KafkaMessage;
      slot.state = 'generating';
      generating++;
      resumeIfRoom(window);
      const source = { topic: window.topic, partition: window.partition, offset: slot.offset };
      void processMessage(message, source, window.signal)
        .catch((error: unknown): Outcome => {
          // processMessage turns every failure into an outcome; this is a last resort.
          const failure = toCopyForgeError(error, 'CF_GENERATION_FAILED');
          return {
            kind: 'dead-letter',
            message,
            error: failure,
            record: buildDeadLetterRecord(message, source, failure, { maxBytes: maxDeadLetterBytes }),
          };
        })
        .then((outcome) => {
          generating--;
          if (outcome.kind !== 'abandoned' && !window.released) {
            slot.outcome = outcome;
            slot.state = 'done';
            scheduleFlush(window);
          }
          pump();
          notifyIdle();
        });
    }
  }

  function scheduleFlush(window: PartitionWindow): void {
    if (window.released) return;
    if (window.flushing) {
      window.flushAgain = true;
      return;
    }
    window.flushing = flush(window).finally(() => {
      window.flushing = undefined;
      if (window.flushAgain && !window.released) {
        window.flushAgain = false;
        scheduleFlush(window);
      }
      notifyIdle();
    });
  }

  /**
   * Delivers what is ready in `window` and commits past the contiguous delivered prefix.
   * At-least-once: every finished note is produced as soon as it is ready, in one request
   * with whatever else finished meanwhile (output order is not input order; outputs are keyed
   * by note id); offsets move only past notes whose outputs are acknowledged. Exactly-once:
   * outputs and offset commit in one transaction, so only the finished prefix can go.
   */
  async function flush(window: PartitionWindow): Promise<void> {
    const finished =
      delivery === 'exactly-once'
        ? takeWhile(window.slots, (slot) => slot.state === 'done')
        : window.slots.filter((slot) => slot.state === 'done');
    // One produce request stays well under the broker's request limit; the rest goes next.
    const ready = withinRequestBudget(finished);
    if (ready.length < finished.length) window.flushAgain = true;
    try {
      if (ready.length > 0) {
        const committedThrough = delivery === 'exactly-once' ? ready.at(-1) : undefined;
        await send(window, ready, committedThrough);
        // Sent is sent: counted even when the partition was let go meanwhile.
        for (const slot of ready) {
          slot.state = 'delivered';
          const outcome = slot.outcome as Delivered;
          const source = { topic: window.topic, partition: window.partition, offset: slot.offset };
          if (outcome.kind === 'output') {
            counters.processed++;
            events.emit('kafka.message-processed', { ...source, noteId: outcome.noteId });
          } else {
            counters.deadLettered++;
            events.emit('kafka.message-dead-lettered', { ...source, code: outcome.error.code });
          }
          slot.outcome = undefined;
          slot.message = undefined;
        }
        if (window.released) return;
      }
      const prefix = takeWhile(window.slots, (slot) => slot.state === 'delivered');
      const last = prefix.at(-1);
      if (last && delivery === 'at-least-once') {
        // Through the batch payload, not consumer.commitOffsets(): kafkajs drops the latter
        // silently once consumer.stop() has begun, which would leave notes finished during
        // shutdown uncommitted.
        await window.commit({
          topics: [
            {
              topic: window.topic,
              partitions: [{ partition: window.partition, offset: (BigInt(last.offset) + 1n).toString() }],
            },
          ],
        });
      }
      if (window.released) return;
      window.slots.splice(0, prefix.length);
      window.retries = 0;
      window.permanentFailures = 0;
      resumeIfRoom(window);
    } catch (error) {
      if (window.released) return;
      if (error instanceof PartitionLostError) {
        // Fenced by a newer owner: let the partition go.
        letGo(window, errorText(error));
        return;
      }
      if (stopping) {
        // Shutting down: what is not delivered stays uncommitted and is re-delivered.
        releaseWindow(window, errorText(error));
        return;
      }
      // The broker is away or busy, or the coordinator moved: keep what is ready (and what is
      // delivered but not committed) and try again with backoff. If this member's generation is
      // over, kafkajs rejoins by itself and the new generation releases the window. An error
      // kafkajs calls permanent gets two more tries (a broker restarting says odd things) before
      // it ends the worker.
      window.retries++;
      const transient = isRetriable(error) || hasErrorType(error, groupLostTypes);
      window.permanentFailures = transient ? 0 : window.permanentFailures + 1;
      if (transient || window.permanentFailures < 3) {
        const delay = Math.min(30_000, retryBackoffMs * 2 ** Math.min(window.retries - 1, 6));
        window.retryTimer = setTimeout(() => scheduleFlush(window), delay);
        return;
      }
      counters.crashes++;
      const reason = errorText(error);
      events.emit('kafka.consumer-crashed', { error: reason, restarting: false });
      releaseAll(reason);
      void shutDown(
        new CopyForgeError('CF_KAFKA_FAILED', `Delivering to Kafka failed and the worker cannot restart: ${reason}`, {
          cause: error,
          details: { groupId: options.groupId, inputTopic, partition: window.partition },
        }),
      );
    }
  }

  async function send(window: PartitionWindow, slots: Slot[], committedThrough: Slot | undefined): Promise<void> {
    const attempt = async (records: (outcome: Delivered) => OutgoingRecord) => {
      const byTopic = new Map<string, OutgoingRecord[]>();
      for (const slot of slots) {
        const outcome = slot.outcome as Delivered;
        const topic = outcome.kind === 'output' ? outputTopic : deadLetterTopic;
        const list = byTopic.get(topic) ?? [];
        list.push(records(outcome));
        byTopic.set(topic, list);
      }
      const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));
      if (!committedThrough) {
        await (producer as Producer).sendBatch({ acks: -1, topicMessages });
        return;
      }
      const nextOffset = (BigInt(committedThrough.offset) + 1n).toString();
      // One transactional id per input partition, taken over (fenced) when the window opened.
      const pending = transactionalProducers.get(window.partition);
      if (!pending) throw new PartitionLostError(window.partition, 'its producer was dropped');
      const transactional = await pending;
      const transaction = await transactional.transaction();
      try {
        await transaction.sendBatch({ topicMessages });
        await transaction.sendOffsets({
          consumerGroupId: options.groupId,
          topics: [{ topic: window.topic, partitions: [{ partition: window.partition, offset: nextOffset }] }],
        });
        if (window.released) throw new PartitionLostError(window.partition, 'the partition was let go');
        await transaction.commit();
      } catch (error) {
        await transaction.abort().catch(() => {});
        // Another member (or this one, in a newer generation) owns the partition now: its
        // producer fenced this one. Nothing of the transaction is visible; the new owner
        // delivers these notes. Drop the fenced producer so it is never used again.
        if (hasErrorType(error, fencedTypes)) {
          dropTransactionalProducer(window.partition, pending);
          throw new PartitionLostError(window.partition, error);
        }
        throw error;
      }
    };
    try {
      await attempt((outcome) => outcome.record);
    } catch (error) {
      // A dead-letter topic with a lower limit than maxDeadLetterBytes: send the dead letters
      // without their payload (the source headers still find the original) rather than crash
      // on the same input forever.
      if (!hasErrorType(error, tooLargeTypes) || !slots.some((slot) => slot.outcome?.kind === 'dead-letter')) {
        throw error;
      }
      await attempt((outcome) => (outcome.kind === 'dead-letter' ? withoutPayload(outcome.record) : outcome.record));
    }
  }

  function notifyIdle(): void {
    if (!isIdle()) return;
    for (const wake of idleWaiters) wake();
    idleWaiters.clear();
  }

  /** Nothing generating and no delivery running. */
  function isIdle(): boolean {
    return generating === 0 && [...windows.values()].every((window) => !window.flushing);
  }

  function whenIdle(): Promise<void> {
    if (isIdle()) return Promise.resolve();
    return new Promise((resolve) => idleWaiters.add(resolve));
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
      const sessionTimeout = options.sessionTimeoutMs ?? 10_000;
      consumer = kafka.consumer({
        groupId: options.groupId,
        sessionTimeout,
        rebalanceTimeout: Math.max(sessionTimeout * 2, 60_000),
        heartbeatInterval: heartbeatIntervalMs,
        maxWaitTimeInMs: options.fetchMaxWaitMs ?? 1000,
        readUncommitted: false,
        allowAutoTopicCreation: false,
      });
      consumer.on(consumer.events.REBALANCING, () => {
        // Rebalance means stop and let go: the notes in hand are abandoned uncommitted, and
        // nothing is accepted until this member has joined again.
        rebalancing = true;
        releaseAll('the group is rebalancing');
      });
      consumer.on(consumer.events.GROUP_JOIN, () => {
        counters.groupJoins++;
        generation++;
        rebalancing = false;
        // kafkajs starts every partition of the new generation from its committed offset.
        releaseAll('a new group generation began');
        for (const partition of [...paused]) resumePartition(partition);
      });
      consumer.on(consumer.events.CRASH, ({ payload }) => {
        counters.crashes++;
        // Restarted or not, the crashed consumer's membership and fetch positions are gone.
        releaseAll(`the consumer crashed: ${errorText(payload.error)}`);
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
      // Stop fetching; messages accepted but not started are let go (re-delivered), notes
      // generating get until the deadline, and what finishes is delivered and committed.
      try {
        consumer?.pause([{ topic: inputTopic }]);
      } catch {
        // Not running (crashed before it started): nothing to pause.
      }
      for (const window of windows.values()) window.waiting.splice(0);
      if (crash) {
        abandon.abort();
        releaseAll('the worker is stopping');
      }
      // Past the deadline the notes in hand are aborted; a delivery still hanging then (a
      // broker gone) gets a short grace, after which it is given up uncommitted.
      await Promise.race([whenIdle(), afterAbort(abandon.signal, 10_000)]);
      await consumer?.stop().catch((error: unknown) => {
        if (!crash) throw error;
      });
      await consumer?.disconnect().catch((error: unknown) => {
        if (!crash) throw error;
      });
    } finally {
      clearTimeout(deadline);
      abandon.abort();
      for (const window of windows.values()) clearTimeout(window.retryTimer);
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

/** Records and bytes of one delivery request: far below Kafka's 1 MiB request default. */
const requestBudget = { records: 500, bytes: 512 * 1024 };

function recordBytes(record: OutgoingRecord): number {
  const size = (value: string | Buffer | null) =>
    value === null ? 0 : typeof value === 'string' ? Buffer.byteLength(value) : value.length;
  let bytes = size(record.key) + size(record.value) + 64;
  for (const [name, value] of Object.entries(record.headers)) bytes += Buffer.byteLength(name) + size(value);
  return bytes;
}

/** The leading slots whose records fit one request (at least one, whatever its size). */
function withinRequestBudget<T extends { outcome?: { record: OutgoingRecord } }>(slots: T[]): T[] {
  let bytes = 0;
  const taken: T[] = [];
  for (const slot of slots) {
    bytes += slot.outcome ? recordBytes(slot.outcome.record) : 0;
    if (taken.length > 0 && (taken.length >= requestBudget.records || bytes > requestBudget.bytes)) break;
    taken.push(slot);
  }
  return taken;
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

/** Whether kafkajs marks an error (or the one it wraps) retriable, as its own consumer restart rule does. */
function isRetriable(error: unknown): boolean {
  let cause = error as { name?: unknown; retriable?: unknown; cause?: unknown } | undefined;
  if (cause?.name === 'KafkaJSNumberOfRetriesExceeded') return true;
  while (cause?.cause) cause = cause.cause as typeof cause;
  return cause?.retriable === true;
}

/** Resolves `graceMs` after `signal` aborts. */
function afterAbort(signal: AbortSignal, graceMs: number): Promise<void> {
  return new Promise((resolve) => {
    const wait = () => setTimeout(resolve, graceMs).unref();
    if (signal.aborted) wait();
    else signal.addEventListener('abort', wait, { once: true });
  });
}

/** The leading elements of `items` that satisfy `test`. */
function takeWhile<T>(items: readonly T[], test: (item: T) => boolean): T[] {
  const taken: T[] = [];
  for (const item of items) {
    if (!test(item)) break;
    taken.push(item);
  }
  return taken;
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
