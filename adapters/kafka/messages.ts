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
  payloadTruncated: 'copyforge-payload-truncated',
  keyDropped: 'copyforge-key-dropped',
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
 * Builds the dead-letter record: the original bytes untouched, with headers naming the error
 * code, message and original position. A record that would exceed `maxBytes` (key, value and
 * headers) keeps only the first bytes of the value that fit, and says so in
 * `copyforge-payload-truncated` (the original size in bytes); a key over a quarter of the
 * budget is dropped (`copyforge-key-dropped`). The source headers always find the original.
 */
export function buildDeadLetterRecord(
  original: { key: Buffer | null; value: Buffer | null },
  source: SourcePosition,
  error: CopyForgeError,
  options: { maxBytes?: number } = {},
): OutgoingRecord {
  const maxBytes = options.maxBytes ?? Number.POSITIVE_INFINITY;
  const headers: Record<string, string> = {
    [headerNames.errorCode]: error.code,
    // Header values are bytes; keep them short and single-line.
    [headerNames.errorMessage]: error.message.replace(/\s+/g, ' ').slice(0, 1000),
    [headerNames.failedAt]: new Date().toISOString(),
    ...sourceHeaders(source),
  };
  let key = original.key ? original.key.toString('utf8') : null;
  let value = original.value;
  const headerBytes = () =>
    Object.entries(headers).reduce((sum, [name, text]) => sum + Buffer.byteLength(name) + Buffer.byteLength(text), 0);
  // Room for the record's own framing (lengths, varints, attributes) beside the bytes counted.
  const framing = 64 + 16 * (Object.keys(headers).length + 2);
  if (key !== null && Buffer.byteLength(key) > maxBytes / 4) {
    headers[headerNames.keyDropped] = String(Buffer.byteLength(key));
    key = null;
  }
  const valueBytes = value?.length ?? 0;
  if (value !== null && framing + headerBytes() + Buffer.byteLength(key ?? '') + valueBytes > maxBytes) {
    headers[headerNames.payloadTruncated] = String(valueBytes);
    const room = Math.max(0, maxBytes - framing - headerBytes() - Buffer.byteLength(key ?? ''));
    value = room > 0 ? value.subarray(0, room) : null;
  }
  return { key, value, headers };
}

/** The same dead letter without its payload, for a topic that refused it as too large. */
export function withoutPayload(record: OutgoingRecord): OutgoingRecord {
  const bytes = record.value === null ? 0 : Buffer.byteLength(record.value);
  const original = record.headers[headerNames.payloadTruncated] ?? String(bytes);
  return { ...record, value: null, headers: { ...record.headers, [headerNames.payloadTruncated]: original } };
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
