import { readFileSync } from 'node:fs';
import { describe, expect, expectTypeOf, it } from 'vitest';
import { type ErrorCode, errorCodes } from './error-codes.js';
import { CopyForgeError, isCopyForgeError, toCopyForgeError } from './errors.js';

const documentation = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');
const documentedRows = [...documentation.matchAll(/^\| `(CF_[A-Z_]+)` \| (yes|no) \|/gm)].map((match) => ({
  code: match[1] as string,
  retriable: match[2] === 'yes',
}));

describe('error registry', () => {
  it('documents every code exactly once, with the same retriable flag, in registry order', () => {
    expect(documentedRows.map((row) => row.code)).toEqual(Object.keys(errorCodes));
    for (const row of documentedRows) {
      expect(errorCodes[row.code as ErrorCode].retriable, row.code).toBe(row.retriable);
    }
  });

  it('uses stable CF_ names', () => {
    for (const code of Object.keys(errorCodes)) expect(code).toMatch(/^CF_[A-Z]+(_[A-Z]+)*$/);
  });

  it('keeps the ErrorCode union equal to the registry keys', () => {
    expectTypeOf<ErrorCode>().toEqualTypeOf<keyof typeof errorCodes>();
    expectTypeOf<'CF_INVALID_NOTE'>().toExtend<ErrorCode>();
    // @ts-expect-error an unknown code is not an ErrorCode
    const unknown: ErrorCode = 'CF_NOT_A_CODE';
    expect(unknown).toBe('CF_NOT_A_CODE');
  });
});

describe('CopyForgeError', () => {
  it('carries code, cause, retriable default from the registry, and serialises without the cause', () => {
    const cause = new Error('socket hang up');
    const error = new CopyForgeError('CF_TIMEOUT', 'too slow', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe('CF_TIMEOUT');
    expect(error.retriable).toBe(true);
    expect(error.cause).toBe(cause);
    expect(JSON.parse(JSON.stringify(error))).toEqual({
      name: 'CopyForgeError',
      code: 'CF_TIMEOUT',
      message: 'too slow',
      retriable: true,
      issues: [],
    });
    expect(new CopyForgeError('CF_TIMEOUT', 'x', { retriable: false }).retriable).toBe(false);
  });

  it('wraps foreign errors and maps aborts', () => {
    const abort = new DOMException('stop', 'AbortError');
    expect(toCopyForgeError(abort).code).toBe('CF_ABORTED');
    const wrapped = toCopyForgeError(new TypeError('boom'), 'CF_BACKEND_REQUEST_FAILED');
    expect(wrapped.code).toBe('CF_BACKEND_REQUEST_FAILED');
    expect(wrapped.message).toBe('boom');
    expect(isCopyForgeError(wrapped, 'CF_BACKEND_REQUEST_FAILED')).toBe(true);
    expect(isCopyForgeError(wrapped, 'CF_TIMEOUT')).toBe(false);
  });
});
