import { randomUUID } from 'node:crypto';
import type { SpanContext } from '@opentelemetry/api';
import type { CopyForgeError } from '../../src/core/errors.js';
import type { ForgeResult } from '../../src/generation/forge.js';
import type { CreativesEvent } from '../../src/schemas/types.js';

/** Header names of the topic contract (also documented in docs/kafka.md). */
export const headerNames = {
  contentType: 'content-type',
  schemaVersion: 'copyforge-schema-version',
  sourceTopic: 'copyforge-source-topic',
  sourcePartition: 'copyforge-source-partition',
  sourceOffset: 'copyforge-source-offset',
  errorCode: 'copyforge-error-code',
  errorMessage: 'copyforge-error-message',
  failedAt: 'copyforge-failed-at',
  traceparent: 'traceparent',
} as const;

/** Where a message came from. */
export interface SourcePosition {
  topic: string;
  partition: number;
  offset: string;
}

/** A record ready to produce. */
export interface OutgoingRecord {
  key: string | null;
  value: string | Buffer | null;
  headers: Record<string, string>;
}

function sourceHeaders(source: SourcePosition): Record<string, string> {
  return {
    [headerNames.sourceTopic]: source.topic,
    [headerNames.sourcePartition]: String(source.partition),
    [headerNames.sourceOffset]: source.offset,
  };
}

/** Builds the output record: one CreativesEvent per note, keyed by note id. */
export function buildCreativesRecord(
  result: ForgeResult,
  source: SourcePosition,
  options: { sourceEventId?: string; traceparent?: string },
): { record: OutgoingRecord; event: CreativesEvent } {
  const event: CreativesEvent = {
    schemaVersion: 1,
    eventId: randomUUID(),
    ...(options.sourceEventId ? { sourceEventId: options.sourceEventId } : {}),
    producedAt: new Date().toISOString(),
    noteId: result.noteId,
    promotionTarget: result.promotionTarget,
    audienceTier: result.audienceTier,
    creatives: result.creatives,
    warnings: result.warnings.map((warning) =>
      warning.type === 'other' ? warning.message : `unsupported option ${warning.option}`,
    ),
  };
  const headers: Record<string, string> = {
    [headerNames.contentType]: 'application/json',
    [headerNames.schemaVersion]: '1',
    ...sourceHeaders(source),
  };
  if (options.traceparent) headers[headerNames.traceparent] = options.traceparent;
  return { record: { key: result.noteId, value: JSON.stringify(event), headers }, event };
}

/**
 * Builds the dead-letter record: the original bytes untouched, with headers naming
 * the error code, message and original position.
 */
export function buildDeadLetterRecord(
  original: { key: Buffer | null; value: Buffer | null },
  source: SourcePosition,
  error: CopyForgeError,
): OutgoingRecord {
  return {
    key: original.key ? original.key.toString('utf8') : null,
    value: original.value,
    headers: {
      [headerNames.errorCode]: error.code,
      // Header values are bytes; keep them short and single-line.
      [headerNames.errorMessage]: error.message.replace(/\s+/g, ' ').slice(0, 1000),
      [headerNames.failedAt]: new Date().toISOString(),
      ...sourceHeaders(source),
    },
  };
}

/** Reads a header as a string (kafkajs gives Buffers, strings or arrays). */
export function headerValue(headers: Record<string, unknown> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  const first = Array.isArray(value) ? value[0] : value;
  if (first === undefined || first === null) return undefined;
  return Buffer.isBuffer(first) ? first.toString('utf8') : String(first);
}

const traceparentPattern = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** Parses a W3C `traceparent` header into a span context (undefined when malformed or all zeros). */
export function parseTraceparent(value: string | undefined): SpanContext | undefined {
  const match = value ? traceparentPattern.exec(value.trim()) : null;
  if (!match) return undefined;
  const [, traceId, spanId, flags] = match as unknown as [string, string, string, string];
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16), isRemote: true };
}

/** Formats a span context as a W3C `traceparent` header. */
export function formatTraceparent(context: SpanContext): string {
  return `00-${context.traceId}-${context.spanId}-${context.traceFlags.toString(16).padStart(2, '0')}`;
}
