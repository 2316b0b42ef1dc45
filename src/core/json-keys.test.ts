import { describe, expect, it } from 'vitest';
import { duplicateJsonKey, parseModelJson } from './json-keys.js';

describe('duplicateJsonKey', () => {
  it('finds a key repeated in one object, at any depth', () => {
    expect(duplicateJsonKey('{"title":"a","title":"b"}')).toBe('title');
    expect(duplicateJsonKey('{"titles":[{"title":"a","style":"q","title":"b"}]}')).toBe('title');
    expect(duplicateJsonKey('{"a":{"b":1},"a":2}')).toBe('a');
  });

  it('accepts the same key in different objects, and keys or values with escapes and brackets', () => {
    expect(duplicateJsonKey('{"titles":[{"title":"a"},{"title":"b"}]}')).toBeUndefined();
    expect(duplicateJsonKey('{"t\\"x":"{\\"t\\":1}","y":["a,b",{"t":1}],"z":"]"}')).toBeUndefined();
    expect(duplicateJsonKey('{"a":"x","\\u0061":"y"}')).toBe('a');
    expect(duplicateJsonKey('[1,2,{"k":[{"k":1}]}]')).toBeUndefined();
    expect(duplicateJsonKey('"just a string"')).toBeUndefined();
  });
});

describe('parseModelJson', () => {
  it('parses JSON and refuses duplicate keys and non-JSON with a reason', () => {
    expect(parseModelJson('{"a":[1,2]}')).toEqual({ ok: true, value: { a: [1, 2] } });
    expect(parseModelJson('{"title":"a","title":"b"}')).toEqual({
      ok: false,
      reason: 'the key "title" appears twice in one object',
    });
    expect(parseModelJson('{"a":')).toMatchObject({ ok: false });
  });
});
