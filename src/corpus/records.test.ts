import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { expandInputs, readCorpusFile } from './records.js';

const original = Object.getOwnPropertyDescriptor(process, 'stdin');

function fakeStdin(text: string): void {
  Object.defineProperty(process, 'stdin', { value: Readable.from([Buffer.from(text)]), configurable: true });
}

afterEach(() => {
  if (original) Object.defineProperty(process, 'stdin', original);
});

async function read(path: string) {
  const items = [];
  for await (const item of readCorpusFile(path)) items.push(item);
  return items;
}

const line = (id: number) =>
  JSON.stringify({
    id: `d${id}`,
    text: `Document number ${id} talks about a cast iron pan that lasts for years and years.`,
  });

describe('corpus files', () => {
  it('drops a UTF-8 byte-order mark before the first line', async () => {
    const path = join(mkdtempSync(join(tmpdir(), 'copyforge-records-')), 'bom.jsonl');
    writeFileSync(path, `\uFEFF${line(1)}\n${line(2)}\n`);
    const items = await read(path);
    expect(items.map((item) => JSON.parse(String(item.value)).id)).toEqual(['d1', 'd2']);
  });

  it('reads `-` as JSON Lines from standard input, and expandInputs keeps it', async () => {
    fakeStdin(`${line(1)}\n\n${line(2)}\n`);
    const items = await read('-');
    expect(items).toHaveLength(2);
    expect(items[0]).toMatchObject({ format: 'jsonl', source: 'stdin', fallbackId: 'stdin:1' });
    expect(await expandInputs(['-'])).toEqual(['-']);
  });
});
