// Property-based tests of every input boundary, with fast-check and fixed seeds: hostile
// values (any JSON, mutated notes and events, wrong-typed options, garbage model output)
// must give a CopyForgeError with a registered code or a valid result — never another
// exception, never a hang, never a lost good line — and must leave Object.prototype alone.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { errorCodes } from '../../src/core/error-codes.js';
import { isCopyForgeError } from '../../src/core/errors.js';
import { duplicateJsonKey } from '../../src/core/json-keys.js';
import { readJsonLines } from '../../src/core/jsonl.js';
import { parseNoteEvent, validateNote } from '../../src/core/validation.js';
import { cleanCorpus } from '../../src/corpus/clean.js';
import { createForge } from '../../src/generation/forge.js';
import { createRewardModelHost } from '../../src/rm/host.js';
import { createMockBackend } from '../../src/testing/mock-backend.js';

const settings = { seed: 20261202, numRuns: 300 };
const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();

afterAll(() => {
  expect(Object.getOwnPropertyNames(Object.prototype).sort()).toEqual(prototypeKeys);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});

/** Runs `work`; passes when it returns or throws a CopyForgeError with a registered code. */
function onlyCoded(work: () => unknown): void {
  try {
    work();
  } catch (error) {
    if (!isCopyForgeError(error)) throw new Error(`not a CopyForgeError: ${String(error)}`, { cause: error });
    expect(Object.hasOwn(errorCodes, error.code), error.code).toBe(true);
  }
}

/** The async form of {@link onlyCoded}, bounded: a hang fails the property. */
async function onlyCodedAsync(work: () => Promise<unknown>, boundMs = 2000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`did not settle within ${boundMs} ms`)), boundMs);
  });
  try {
    await Promise.race([work(), bound]);
  } catch (error) {
    if (!isCopyForgeError(error)) throw error;
    expect(Object.hasOwn(errorCodes, error.code), error.code).toBe(true);
  } finally {
    clearTimeout(timer);
  }
}

const goodNote = {
  id: 'n1',
  title: '夏天通勤必备的防晒霜',
  body: '清爽不油腻，128元50ml。',
  tags: ['防晒霜'],
  lang: 'zh-CN',
};

/** A note with one field replaced by an arbitrary value (or removed, or a hostile key added). */
const mutatedNote = fc.oneof(
  fc
    .record({
      key: fc.constantFrom('id', 'title', 'body', 'tags', 'lang', 'author', 'images', 'createdAt'),
      value: fc.anything(),
    })
    .map(({ key, value }) => ({ ...goodNote, [key]: value })),
  fc.constantFrom('id', 'title', 'body').map((key) => {
    const copy: Record<string, unknown> = { ...goodNote };
    delete copy[key];
    return copy;
  }),
  fc.string().map((text) => ({ ...goodNote, title: text, body: `${text} body` })),
  fc.constant(JSON.parse('{"id":"n1","title":"t","body":"b","__proto__":{"polluted":true}}')),
  fc.anything(),
);

describe('property: validators', () => {
  it('validateNote gives a note or a coded error for any value', () => {
    fc.assert(
      fc.property(mutatedNote, (value) => onlyCoded(() => validateNote(value))),
      settings,
    );
  });

  it('parseNoteEvent gives an event or a coded error for any text or bytes', () => {
    const event = (note: unknown) => ({ schemaVersion: 1, eventId: 'e1', occurredAt: '2026-11-26T08:00:00Z', note });
    const inputs = fc.oneof(
      mutatedNote.map((note) => JSON.stringify(event(note)) ?? 'null'),
      fc.json(),
      fc.string(),
      fc.uint8Array({ maxLength: 200 }),
      fc.integer({ min: 1, max: 30_000 }).map((depth) => `{"schemaVersion":${'['.repeat(depth)}${']'.repeat(depth)}}`),
      fc.anything() as fc.Arbitrary<string>,
    );
    fc.assert(
      fc.property(inputs, (raw) => onlyCoded(() => parseNoteEvent(raw as string))),
      settings,
    );
  });

  it('duplicateJsonKey finds nothing in serialised JSON and finds a key written twice', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.string({ minLength: 1, maxLength: 8 }), (value, key) => {
        const text = JSON.stringify(value);
        expect(duplicateJsonKey(text)).toBeUndefined();
        const doubled = `{${JSON.stringify(key)}:1,"x":${text},${JSON.stringify(key)}:2}`;
        expect(duplicateJsonKey(doubled)).toBe(key === 'x' ? 'x' : key);
      }),
      settings,
    );
  });
});

describe('property: JSONL reader', () => {
  it('accounts for every line of a mixed file: good lines as values, the rest as coded errors, in order', async () => {
    const line = fc.oneof(
      fc.jsonValue().map((value) => ({ text: JSON.stringify(value), good: true })),
      fc
        .string()
        .filter((text) => !/[\n\r\u2028\u2029]/.test(text))
        .map((text) => {
          let good = true;
          try {
            JSON.parse(text);
          } catch {
            good = false;
          }
          return { text, good };
        }),
    );
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-property-jsonl-'));
    let file = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), async (lines) => {
        const path = join(directory, `f${file++}.jsonl`);
        writeFileSync(path, lines.map((entry) => entry.text).join('\n'));
        const expected = lines
          .map((entry, index) => ({ ...entry, line: index + 1 }))
          .filter((entry) => entry.text.trim() !== '');
        const seen: { line: number; good: boolean }[] = [];
        for await (const entry of readJsonLines(path)) {
          if ('error' in entry) expect(Object.hasOwn(errorCodes, entry.error.code)).toBe(true);
          seen.push({ line: entry.line, good: !('error' in entry) });
        }
        expect(seen).toEqual(expected.map(({ line, good }) => ({ line, good })));
      }),
      { ...settings, numRuns: 100 },
    );
  });
});

describe('property: options of the SDK entry points', () => {
  const backend = createMockBackend({ respond: () => '{}' });
  const optionValue = fc.oneof(
    fc.anything(),
    fc.constantFrom(Number.NaN, Number.POSITIVE_INFINITY, -1, 0, 2 ** 31, 1.5, '', 'x', [], {}, null),
  );

  it('createForge gives a forge or a coded error for any options', () => {
    const keys = [
      'titlesPerNote',
      'language',
      'styles',
      'audienceTiers',
      'maxTitleLength',
      'minTitleLength',
      'similarityThreshold',
      'promotionTargetFrom',
      'retryBudget',
      'sampling',
      'concurrency',
      'events',
      'rewardModels',
      'timeoutMs',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...keys), optionValue, (key, value) =>
        onlyCoded(() => createForge({ backend, [key]: value } as never)),
      ),
      settings,
    );
    fc.assert(
      fc.property(fc.anything(), (value) => onlyCoded(() => createForge(value as never))),
      settings,
    );
  });

  it('cleanCorpus gives a run or a coded error for any source and options', () => {
    const keys = [
      'normalise',
      'pii',
      'filters',
      'exactDedup',
      'nearDedup',
      'examplesPerReason',
      'workers',
      'batchSize',
    ];
    fc.assert(
      fc.property(fc.constantFrom(...keys), optionValue, (key, value) =>
        onlyCoded(() => cleanCorpus([], { [key]: value } as never)),
      ),
      settings,
    );
    fc.assert(
      fc.property(fc.anything(), (source) => onlyCoded(() => cleanCorpus(source as never))),
      settings,
    );
  });

  it('createRewardModelHost settles with a host or a coded error for any options', async () => {
    const keys = ['rewardModels', 'timeoutMs', 'isolation', 'configs', 'policy'];
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...keys), optionValue, async (key, value) =>
        onlyCodedAsync(async () => {
          const host = await createRewardModelHost({ rewardModels: [], [key]: value } as never);
          await host.close();
        }),
      ),
      { ...settings, numRuns: 150 },
    );
  });
});

describe('property: model output the forge reads', () => {
  it('forge.generate settles with creatives or a coded error for any text a backend returns', async () => {
    const texts = fc.oneof(
      fc.string(),
      fc.json(),
      fc
        .record({
          promotionTarget: fc.oneof(fc.constant('防晒霜'), fc.string()),
          audienceTier: fc.oneof(fc.constant('students'), fc.string()),
          titles: fc.array(fc.record({ title: fc.string(), style: fc.constantFrom('question', 'how-to', 'x') }), {
            maxLength: 4,
          }),
        })
        .map((value) => JSON.stringify(value)),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(texts, { minLength: 1, maxLength: 3 }), async (answers) => {
        let call = 0;
        const backend = createMockBackend({ respond: () => answers[call++ % answers.length] as string });
        const forge = createForge({ backend, titlesPerNote: 2, retryBudget: 2 });
        await onlyCodedAsync(async () => {
          const result = await forge.generate(goodNote);
          for (const entry of result.creatives) expect(entry.creative.title.length).toBeGreaterThan(0);
        });
        expect(call).toBeLessThanOrEqual(3);
      }),
      { ...settings, numRuns: 150 },
    );
  });
});
