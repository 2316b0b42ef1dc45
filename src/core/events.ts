import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'eventemitter3';
import type { ErrorCode } from './error-codes.js';

/**
 * Payloads of every event CopyForge emits, keyed by name. The set is closed: names
 * follow `stage.noun-verb`, and adding one is a minor release.
 */
export interface CopyForgeEventMap {
  /** A pipeline stage started work on an item. */
  'pipeline.item-start': { stage: string; index: number };
  /** A pipeline stage finished an item. */
  'pipeline.item-end': { stage: string; index: number; durationMs: number };
  /** A pipeline stage failed on an item; the item is reported and the rest go on. */
  'pipeline.item-error': { stage: string; index: number; code: ErrorCode; message: string };
  /** One title was generated for a note. */
  'generate.title-end': { noteId: string; creativeId: string; title: string };
  /** All titles of a note were generated and scored. */
  'generate.note-end': { noteId: string; creatives: number; accepted: number; durationMs: number };
  /** A reward model scored a batch. */
  'rm.batch-end': { rewardModel: string; noteId: string; candidates: number; durationMs: number };
  /** A reward model threw, timed out or returned malformed scores; its verdicts became `unknown`. */
  'rm.plugin-error': { rewardModel: string; code: ErrorCode; message: string };
  /** Bytes of a model download arrived. */
  'model.download-progress': { source: string; downloadedBytes: number; totalBytes?: number };
  /** The Kafka worker produced the creatives of one note. */
  'kafka.message-processed': { topic: string; partition: number; offset: string; noteId: string };
  /** The Kafka worker sent an input to the dead-letter topic. */
  'kafka.message-dead-lettered': { topic: string; partition: number; offset: string; code: ErrorCode };
  /** The worker's kafkajs consumer crashed; `restarting: false` means the worker stopped (see `done()`). */
  'kafka.consumer-crashed': { error: string; restarting: boolean };
  /**
   * The worker let a partition go in the middle of a batch: a heartbeat reported a rebalance or
   * that the member was expelled, or another owner fenced its producer. The notes in hand were
   * abandoned uncommitted (the partition's next owner delivers them) and the consumer rejoins.
   */
  'kafka.partition-released': { topic: string; partition: number; reason: string };
}

/** Every event name. */
export type CopyForgeEventType = keyof CopyForgeEventMap;

/** The one envelope every event travels in. */
export interface CopyForgeEvent<T extends CopyForgeEventType = CopyForgeEventType> {
  /** Unique id of this event. */
  id: string;
  /** The event name. */
  type: T;
  /** When it happened, ISO 8601. */
  timestamp: string;
  /** Event-specific data. */
  payload: CopyForgeEventMap[T];
}

/** Stops a listener; calling it twice is harmless. */
export type Unsubscribe = () => void;

/** Every event name, for validation and docs. */
export const eventTypes: readonly CopyForgeEventType[] = [
  'pipeline.item-start',
  'pipeline.item-end',
  'pipeline.item-error',
  'generate.title-end',
  'generate.note-end',
  'rm.batch-end',
  'rm.plugin-error',
  'model.download-progress',
  'kafka.message-processed',
  'kafka.message-dead-lettered',
  'kafka.consumer-crashed',
  'kafka.partition-released',
];

const ANY = Symbol('any');

/**
 * A typed emitter over a closed set of event names. Emitting costs next to nothing
 * when nobody listens: the envelope is only built for listeners.
 *
 * @example
 * const stop = events.on('generate.title-end', (event) => console.log(event.payload.title));
 * stop();
 */
export class CopyForgeEvents {
  readonly #emitter = new EventEmitter();

  /** Listens to one event type; returns a function that stops listening. */
  on<T extends CopyForgeEventType>(type: T, listener: (event: CopyForgeEvent<T>) => void): Unsubscribe {
    if (!eventTypes.includes(type)) throw new TypeError(`Unknown CopyForge event type '${String(type)}'.`);
    this.#emitter.on(type, listener);
    return () => {
      this.#emitter.off(type, listener);
    };
  }

  /** Listens to every event; returns a function that stops listening. */
  onAny(listener: (event: CopyForgeEvent) => void): Unsubscribe {
    this.#emitter.on(ANY, listener);
    return () => {
      this.#emitter.off(ANY, listener);
    };
  }

  /** Emits an event to its listeners and to `onAny` listeners. A throwing listener is isolated. */
  emit<T extends CopyForgeEventType>(type: T, payload: CopyForgeEventMap[T]): void {
    const hasTyped = this.#emitter.listenerCount(type) > 0;
    const hasAny = this.#emitter.listenerCount(ANY) > 0;
    if (!hasTyped && !hasAny) return;
    const event: CopyForgeEvent<T> = { id: randomUUID(), type, timestamp: new Date().toISOString(), payload };
    for (const channel of [type, ANY] as const) {
      for (const listener of this.#emitter.listeners(channel)) {
        try {
          (listener as (event: CopyForgeEvent<T>) => void)(event);
        } catch (error) {
          // A listener's bug must not break the pipeline; surface it asynchronously.
          queueMicrotask(() => {
            process.emitWarning(`A CopyForge '${type}' listener threw: ${(error as Error)?.message ?? error}`);
          });
        }
      }
    }
  }

  /** Number of listeners for a type (or all, via `onAny`). */
  listenerCount(type?: CopyForgeEventType): number {
    return this.#emitter.listenerCount(type ?? ANY);
  }
}
