import { describe, expect, it } from 'vitest';
import { CopyForgeError } from '../core/errors.js';
import { parseCsv, toCsv } from './csv.js';
import type { GsbPair } from './judge.js';
import { exportGsbSheet, type GsbSheetKey, importGsbSheets, judgeHumanAgreement } from './sheets.js';

const pairs: GsbPair[] = Array.from({ length: 10 }, (_, index) => ({
  id: `p${index}`,
  noteId: `n${index}`,
  note: { id: `n${index}`, title: `原标题 ${index}`, body: `正文, with "quotes"\nand a line break ${index}` },
  system: [`SYS-${index} a`, `SYS-${index} b`],
  baseline: [`BASE-${index} a`],
}));

/** Fills the verdict column: `better(pairId)` says which system should win. */
function fill(csv: string, key: GsbSheetKey, better: (id: string) => 'system' | 'baseline' | 'same'): string {
  const [header, ...records] = parseCsv(csv).map((record) => record.fields);
  const verdictColumn = header?.indexOf('verdict') ?? -1;
  const rows = records.map((fields) => {
    const keyRow = key.rows.find((row) => row.row === fields[0]);
    const winner = better(keyRow?.id ?? '');
    const copy = [...fields];
    copy[verdictColumn] =
      winner === 'same' ? 'same' : String(winner === 'system' ? keyRow?.systemList : 3 - (keyRow?.systemList ?? 0));
    return copy;
  });
  return toCsv([header ?? [], ...rows]);
}

describe('exportGsbSheet', () => {
  it('hides system identities, shuffles rows and sides, and keeps the key apart', () => {
    const { csv, key } = exportGsbSheet(pairs, { seed: 9, systemName: 'copyforge', baselineName: 'random-original' });
    expect(csv).not.toContain('copyforge');
    expect(csv).not.toContain('random-original');
    const records = parseCsv(csv);
    expect(records[0]?.fields).toEqual(['row', 'note_id', 'goal', 'note', 'titles_1', 'titles_2', 'verdict', 'reason']);
    expect(records).toHaveLength(11);
    // the note body with its quote and line break survives the round trip
    expect(records[1]?.fields[3]).toMatch(/正文, with "quotes"\nand a line break/);
    expect(key.rows.map((row) => row.id)).not.toEqual(pairs.map((pair) => pair.id));
    const sides = new Set(key.rows.map((row) => row.systemList));
    expect(sides).toEqual(new Set([1, 2]));
    for (const [index, row] of key.rows.entries()) {
      const fields = records[index + 1]?.fields ?? [];
      expect(fields[0]).toBe(row.row);
      expect(fields[row.systemList === 1 ? 4 : 5]).toContain('SYS-');
    }
    expect(exportGsbSheet(pairs, { seed: 9 }).key.rows).toEqual(key.rows);
  });
});

describe('importGsbSheets', () => {
  it('computes GSB equal to the hand computation on a sheet with known counts', () => {
    const { csv, key } = exportGsbSheet(pairs, { seed: 2 });
    // p0..p4 system better (G = 5), p5..p7 same (S = 3), p8..p9 baseline better (B = 2)
    const filled = fill(csv, key, (id) => {
      const index = Number(id.slice(1));
      return index < 5 ? 'system' : index < 8 ? 'same' : 'baseline';
    });
    const imported = importGsbSheets([{ name: 'alice.csv', text: filled }], key);
    // GSB = (5 − 2) / (5 + 3 + 2) = 0.3
    expect(imported.gsb).toEqual({ good: 5, same: 3, bad: 2, total: 10, score: 0.3 });
    expect(imported.unrated).toEqual([]);
    expect(imported.ratings.find((rating) => rating.id === 'p9')?.verdict).toBe('bad');
  });

  it('is tolerant: semicolons, column order, spellings, blank rows', () => {
    const { key } = exportGsbSheet(pairs.slice(0, 4), { seed: 1 });
    const byId = new Map(key.rows.map((row) => [row.id, row]));
    const systemSide = (id: string) => (byId.get(id)?.systemList === 1 ? 'A' : 'b');
    const lines = [
      'Reason;VERDICT;extra;Row',
      `"it's better; really";${systemSide('p0')};x;${byId.get('p0')?.row}`,
      `;相同;;${byId.get('p1')?.row}`,
      `;  ;;${byId.get('p2')?.row}`,
      `"multi\nline";Tie;;${byId.get('p3')?.row}`,
    ];
    const imported = importGsbSheets([{ name: 'bob.csv', text: `\uFEFF${lines.join('\r\n')}` }], key);
    expect(imported.gsb).toMatchObject({ good: 1, same: 2, bad: 0 });
    expect(imported.unrated).toEqual([{ sheet: 'bob.csv', row: byId.get('p2')?.row }]);
    expect(imported.ratings[0]?.reason).toBe("it's better; really");
  });

  it('names the sheet, line and column of bad cells', () => {
    const { csv, key } = exportGsbSheet(pairs.slice(0, 2), { seed: 1 });
    const records = parseCsv(csv).map((record) => record.fields);
    records[1]![6] = 'maybe';
    records.push(['r99', '', '', '', '', '', '1', '']);
    let caught: unknown;
    try {
      importGsbSheets([{ name: 'carol.csv', text: toCsv(records) }], key);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CopyForgeError);
    const error = caught as CopyForgeError;
    expect(error.code).toBe('CF_INVALID_INPUT');
    // each data row spans 4 lines (the note has 2 line breaks, the system's list 1), so r99 starts on line 10
    expect(error.issues.map((issue) => issue.message)).toEqual([
      "carol.csv line 2: verdict 'maybe' is not 1, 2 or same",
      "carol.csv line 10: row 'r99' is not in the key",
    ]);
    expect(() => importGsbSheets([{ name: 'd.csv', text: 'row,note\nr1,x' }], key)).toThrow(/no 'verdict' column/);
    expect(() => importGsbSheets([], { ...key, format: 'other' } as unknown as GsbSheetKey)).toThrow(/format/);
  });
});

describe('judgeHumanAgreement', () => {
  it('pairs each human rating with the judge verdict of the same pair', () => {
    const judgements = [
      { id: 'p0', verdict: 'good' as const },
      { id: 'p1', verdict: 'bad' as const },
    ];
    const ratings = [
      { id: 'p0', verdict: 'good' as const },
      { id: 'p0', verdict: 'same' as const },
      { id: 'p1', verdict: 'bad' as const },
      { id: 'p2', verdict: 'good' as const },
    ];
    // items: (good, good) (good, same) (bad, bad) → 2 of 3 agree
    const result = judgeHumanAgreement(judgements, ratings);
    expect(result.items).toBe(3);
    expect(result.percentAgreement).toBeCloseTo(2 / 3, 12);
  });
});
