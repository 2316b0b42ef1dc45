import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { generateSchemaTypes } from '../../scripts/generate-schema-types.mjs';
import type { Note } from '../schemas/types.js';
import { CopyForgeError } from './errors.js';
import { parseNoteEvent, unknownFields, validateNote, validateScoredCreative } from './validation.js';

const sampleNotes = readFileSync(new URL('../../data/sample-notes.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((line) => JSON.parse(line) as Note);

const note: Note = { id: 'n1', title: '防晒霜', body: '清爽不油腻', tags: ['防晒'], lang: 'zh-CN' };

function thrown(fn: () => unknown): CopyForgeError {
  try {
    fn();
  } catch (error) {
    if (error instanceof CopyForgeError) return error;
    throw error;
  }
  throw new Error('expected a CopyForgeError');
}

describe('validateNote', () => {
  it('accepts every bundled sample note', () => {
    expect(sampleNotes.length).toBeGreaterThanOrEqual(20);
    for (const sample of sampleNotes) expect(validateNote(sample)).toBe(sample);
  });

  it('names the missing field', () => {
    const error = thrown(() => validateNote({ title: 't', body: 'b' }));
    expect(error.code).toBe('CF_INVALID_NOTE');
    expect(error.issues).toContainEqual({ path: '/id', rule: 'required', message: "'/id' is required" });
    expect(error.message).toContain("'/id' is required");
  });

  it('rejects an oversized body and too many tags with the limit rule', () => {
    const error = thrown(() =>
      validateNote({ ...note, body: 'x'.repeat(10_001), tags: Array.from({ length: 31 }, (_, index) => `t${index}`) }),
    );
    expect(error.issues.map((issue) => `${issue.path}:${issue.rule}`).sort()).toEqual([
      '/body:maxLength',
      '/tags:maxItems',
    ]);
  });

  it('names nested array paths, and accepts and carries unknown properties', () => {
    const error = thrown(() => validateNote({ ...note, tags: ['ok', ''], extra: 1, createdAt: 'yesterday' }));
    const paths = error.issues.map((issue) => `${issue.path}:${issue.rule}`);
    expect(paths).toContain('/tags/1:minLength');
    expect(paths).toContain('/createdAt:format');
    expect(paths.some((path) => path.startsWith('/extra'))).toBe(false);
    const carried = validateNote({ ...note, likes: 12, author: { id: 'a', followers: 3 } }) as Note & {
      likes?: number;
    };
    expect(carried.likes).toBe(12);
  });

  it('lists the unknown fields of an event and of a note', () => {
    const event = {
      schemaVersion: 1,
      eventId: 'e1',
      occurredAt: '2026-11-26T08:00:00Z',
      source: 'app',
      note: { ...note, likes: 1, author: { id: 'a', followers: 3 }, images: [{ description: 'x', url: 'u' }] },
    };
    expect(parseNoteEvent(JSON.stringify(event)).note.id).toBe(note.id);
    expect(unknownFields(event)).toEqual(['/source', '/note/likes', '/note/author/followers', '/note/images/0/url']);
    expect(unknownFields(note, 'note')).toEqual([]);
  });
});

describe('parseNoteEvent', () => {
  const event = { schemaVersion: 1, eventId: 'e1', occurredAt: '2026-11-26T08:00:00Z', note };

  it('parses a valid event from bytes', () => {
    expect(parseNoteEvent(Buffer.from(JSON.stringify(event)))).toEqual(event);
  });

  it('gives each failure its own code', () => {
    expect(thrown(() => parseNoteEvent('{not json')).code).toBe('CF_INVALID_JSON');
    expect(thrown(() => parseNoteEvent(JSON.stringify({ ...event, schemaVersion: 2 }))).code).toBe(
      'CF_UNKNOWN_SCHEMA_VERSION',
    );
    expect(thrown(() => parseNoteEvent(JSON.stringify(event), { maxBytes: 10 })).code).toBe('CF_PAYLOAD_TOO_LARGE');
    const invalid = thrown(() => parseNoteEvent(JSON.stringify({ ...event, note: { ...note, body: '' } })));
    expect(invalid.code).toBe('CF_INVALID_EVENT');
    expect(invalid.issues[0]).toMatchObject({ path: '/note/body', rule: 'minLength' });
  });
});

describe('scored creative schema', () => {
  it('rejects a score outside [0, 1] naming the path', () => {
    const creative = {
      creative: {
        id: 'n1#1',
        noteId: 'n1',
        title: '通勤防晒',
        style: 'scenario',
        controls: { promotionTarget: '防晒霜', audienceTier: 'students' },
      },
      scores: [{ rewardModel: 'usability', version: '1.0.0', score: 1.5, verdict: 'pass', reasons: [] }],
      accepted: true,
    };
    const error = thrown(() => validateScoredCreative(creative));
    expect(error.issues[0]).toMatchObject({ path: '/scores/0/score', rule: 'maximum' });
    creative.scores[0]!.score = 0.5;
    expect(validateScoredCreative(creative)).toBe(creative);
  });
});

describe('schema types', () => {
  it('src/schemas/types.ts is generated from the current schemas', async () => {
    const current = readFileSync(new URL('../schemas/types.ts', import.meta.url), 'utf8');
    expect(current).toBe(await generateSchemaTypes());
  });
});

describe('parseNoteEvent on hostile input', () => {
  const codeOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (error instanceof CopyForgeError) return error.code;
      throw error;
    }
    return 'no error';
  };

  it('answers non-string, non-byte input with CF_INVALID_EVENT, not a TypeError', () => {
    for (const raw of [null, undefined, 42, true, {}, []]) {
      expect(codeOf(() => parseNoteEvent(raw as never))).toBe('CF_INVALID_EVENT');
    }
  });

  it('reports a missing schemaVersion as a missing field, and a deeply nested one without overflowing', () => {
    expect(codeOf(() => parseNoteEvent('{"note": {}}'))).toBe('CF_INVALID_EVENT');
    const deep = `{"schemaVersion":${'['.repeat(20_000)}${']'.repeat(20_000)}}`;
    expect(codeOf(() => parseNoteEvent(deep))).toBe('CF_UNKNOWN_SCHEMA_VERSION');
  });

  it('decodes bytes strictly: invalid UTF-8 is CF_INVALID_EVENT, not U+FFFD in the note', () => {
    const valid = Buffer.from('{"schemaVersion":1,"note":{"id":"x","title":"t","body":"b"}}');
    const broken = Buffer.concat([valid.subarray(0, 50), Buffer.from([0xff, 0xfe]), valid.subarray(50)]);
    expect(codeOf(() => parseNoteEvent(broken))).toBe('CF_INVALID_EVENT');
  });

  it('refuses a maxBytes that would switch the size limit off', () => {
    for (const maxBytes of [Number.NaN, 0, -1, Number.POSITIVE_INFINITY]) {
      expect(codeOf(() => parseNoteEvent('{}', { maxBytes }))).toBe('CF_INVALID_CONFIG');
    }
  });
});

describe('note text characters', () => {
  const base = { id: 'n1', title: 'A title', body: 'A body\nwith two lines\tand a tab.', tags: ['tag'] };

  it('rejects control, bidi-override and lone-surrogate characters, naming the field', () => {
    for (const [note, path] of [
      [{ ...base, id: 'n\u00001' }, '/id'],
      [{ ...base, title: 'Free \u202Eenohpi' }, '/title'],
      [{ ...base, title: 'line\nbreak' }, '/title'],
      [{ ...base, body: 'escape \u001b[31m red' }, '/body'],
      [{ ...base, body: 'lone \uD800 surrogate' }, '/body'],
      [{ ...base, tags: ['ok', 'bad\u2066'] }, '/tags/1'],
      [{ ...base, body: 'C1 \u0085 next line' }, '/body'],
    ] as const) {
      expect(() => validateNote(note), JSON.stringify(note)).toThrow(
        expect.objectContaining({
          code: 'CF_INVALID_NOTE',
          issues: [expect.objectContaining({ path, rule: 'characters' })],
        }),
      );
    }
  });

  it('keeps line breaks and tabs in the body, emoji with joiners, and CJK text', () => {
    expect(validateNote(base).body).toContain('\n');
    expect(validateNote({ ...base, title: '一家人👨‍👩‍👧 出游', tags: ['亲子'] }).title).toContain('\u200d');
  });

  it('applies the same rule inside note events', () => {
    const event = {
      schemaVersion: 1,
      eventId: 'e1',
      occurredAt: '2026-11-26T08:00:00Z',
      note: { ...base, title: 'x\u202Ey' },
    };
    expect(() => parseNoteEvent(JSON.stringify(event))).toThrow(
      expect.objectContaining({ code: 'CF_INVALID_EVENT', issues: [expect.objectContaining({ path: '/note/title' })] }),
    );
  });
});

describe('parseNoteEvent, non-object JSON', () => {
  it('gives CF_INVALID_EVENT for every JSON value that is not an object', () => {
    for (const text of ['[]', '[[1]]', 'null', '42', '"text"', 'true']) {
      expect(() => parseNoteEvent(text), text).toThrow(
        expect.objectContaining({ code: 'CF_INVALID_EVENT', message: expect.stringMatching(/must be a JSON object/) }),
      );
    }
  });
});
