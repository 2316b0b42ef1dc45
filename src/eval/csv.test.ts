import { describe, expect, it } from 'vitest';
import { parseCsv, toCsv } from './csv.js';

describe('parseCsv', () => {
  it('handles a BOM, CRLF, quotes, doubled quotes and line breaks in fields', () => {
    const text = '\uFEFFrow,verdict,reason\r\nr1,1,"short, sweet"\r\nr2,"2","she said ""no""\r\nthen left"\r\n\r\n';
    expect(parseCsv(text)).toEqual([
      { line: 1, fields: ['row', 'verdict', 'reason'] },
      { line: 2, fields: ['r1', '1', 'short, sweet'] },
      { line: 3, fields: ['r2', '2', 'she said "no"\r\nthen left'] },
    ]);
  });

  it('detects semicolon and tab delimiters, keeps stray quotes, reads a last line without newline', () => {
    expect(parseCsv('row;verdict\nr1;same').map((record) => record.fields)).toEqual([
      ['row', 'verdict'],
      ['r1', 'same'],
    ]);
    expect(parseCsv('a\tb\nx"y\tz').map((record) => record.fields)).toEqual([
      ['a', 'b'],
      ['x"y', 'z'],
    ]);
    expect(parseCsv('a,b\n"unterminated,still\nhere')).toEqual([
      { line: 1, fields: ['a', 'b'] },
      { line: 2, fields: ['unterminated,still\nhere'] },
    ]);
  });

  it('numbers records after multi-line fields correctly', () => {
    const records = parseCsv('h\n"a\nb\nc"\nnext\r\n"x\r\ny"\rlast');
    expect(records.map((record) => record.line)).toEqual([1, 2, 5, 6, 8]);
  });
});

describe('toCsv', () => {
  it('round-trips through parseCsv and defuses spreadsheet formulas', () => {
    const rows = [
      ['row', 'titles'],
      ['r1', '1. 防晒霜, 真的好用\n2. "quoted"'],
      ['r2', '=HYPERLINK("x")'],
      ['r3', '-5'],
    ];
    const text = toCsv(rows);
    expect(text.startsWith('\uFEFF')).toBe(true);
    const parsed = parseCsv(text).map((record) => record.fields);
    expect(parsed.slice(0, 2)).toEqual(rows.slice(0, 2));
    expect(parsed[2]).toEqual(['r2', `'=HYPERLINK("x")`]);
    expect(parsed[3]).toEqual(['r3', '-5']);
  });
});
