// The package's runtime exports are its public surface: this test keeps the list in
// test/unit/public-exports.json, so adding or removing an export is a visible, reviewed change.
// After a deliberate change: UPDATE_EXPORTS=1 npx vitest run test/unit/public-exports.test.ts
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const listPath = new URL('./public-exports.json', import.meta.url);

const entryPoints = {
  copyforge: () => import('../../src/index.js'),
  'copyforge/kafka': () => import('../../adapters/kafka/index.js'),
  'copyforge/test': () => import('../../src/testing/index.js'),
};

describe('public surface', () => {
  it('exports exactly the names listed in public-exports.json', async () => {
    const actual: Record<string, string[]> = {};
    for (const [name, load] of Object.entries(entryPoints)) actual[name] = Object.keys(await load()).sort();
    if (process.env.UPDATE_EXPORTS === '1') writeFileSync(listPath, `${JSON.stringify(actual, null, 2)}\n`);
    const expected = JSON.parse(readFileSync(listPath, 'utf8')) as Record<string, string[]>;
    for (const name of Object.keys(entryPoints)) {
      const added = actual[name]?.filter((entry) => !expected[name]?.includes(entry)) ?? [];
      const removed = expected[name]?.filter((entry) => !actual[name]?.includes(entry)) ?? [];
      expect({ entry: name, added, removed }, 'run with UPDATE_EXPORTS=1 after a deliberate change').toEqual({
        entry: name,
        added: [],
        removed: [],
      });
    }
  });
});
