import { describe, expect, it } from 'vitest';
import { CopyForgeError } from '../../src/core/errors.js';
import { buildDeadLetterRecord, headerNames, withoutPayload } from './messages.js';

const source = { topic: 'notes.new', partition: 2, offset: '41' };
const error = new CopyForgeError('CF_INVALID_EVENT', 'The message is too large.');
const recordBytes = (record: ReturnType<typeof buildDeadLetterRecord>) =>
  Buffer.byteLength(record.key ?? '') +
  (record.value === null ? 0 : Buffer.byteLength(record.value)) +
  Object.entries(record.headers).reduce(
    (sum, [name, value]) => sum + Buffer.byteLength(name) + Buffer.byteLength(value),
    0,
  );

describe('buildDeadLetterRecord', () => {
  it('keeps the original bytes and names the error and position', () => {
    const value = Buffer.from('{"broken');
    const record = buildDeadLetterRecord({ key: Buffer.from('k1'), value }, source, error, { maxBytes: 10_000 });
    expect(record.key).toBe('k1');
    expect(record.value).toBe(value);
    expect(record.headers).toMatchObject({
      [headerNames.errorCode]: 'CF_INVALID_EVENT',
      [headerNames.sourceTopic]: 'notes.new',
      [headerNames.sourcePartition]: '2',
      [headerNames.sourceOffset]: '41',
    });
    expect(record.headers[headerNames.payloadTruncated]).toBeUndefined();
  });

  it('cuts a payload that would not fit to a prefix, says how large it was, and stays under the bound', () => {
    const value = Buffer.alloc(50_000, 'a');
    const record = buildDeadLetterRecord({ key: Buffer.from('k1'), value }, source, error, { maxBytes: 20_000 });
    expect(record.headers[headerNames.payloadTruncated]).toBe('50000');
    expect(record.value?.length).toBeGreaterThan(19_000);
    expect(recordBytes(record)).toBeLessThanOrEqual(20_000);
    expect(Buffer.from(record.value ?? '').equals(value.subarray(0, record.value?.length ?? 0))).toBe(true);
  });

  it('drops a key over a quarter of the bound, and the payload when nothing fits', () => {
    const record = buildDeadLetterRecord(
      { key: Buffer.alloc(400, 'k'), value: Buffer.alloc(5000, 'v') },
      source,
      error,
      { maxBytes: 1000 },
    );
    expect(record.key).toBeNull();
    expect(record.headers[headerNames.keyDropped]).toBe('400');
    expect(recordBytes(record)).toBeLessThanOrEqual(1000);
    const tiny = buildDeadLetterRecord({ key: null, value: Buffer.alloc(5000, 'v') }, source, error, { maxBytes: 300 });
    expect(tiny.value).toBeNull();
    expect(tiny.headers[headerNames.payloadTruncated]).toBe('5000');
  });

  it('withoutPayload keeps the headers and records the original size once', () => {
    const cut = buildDeadLetterRecord({ key: null, value: Buffer.alloc(50_000, 'a') }, source, error, {
      maxBytes: 20_000,
    });
    expect(withoutPayload(cut)).toMatchObject({ value: null, headers: { [headerNames.payloadTruncated]: '50000' } });
    const whole = buildDeadLetterRecord({ key: null, value: Buffer.from('abc') }, source, error);
    expect(withoutPayload(whole).headers[headerNames.payloadTruncated]).toBe('3');
    expect(withoutPayload(whole).headers[headerNames.sourceOffset]).toBe('41');
  });
});
