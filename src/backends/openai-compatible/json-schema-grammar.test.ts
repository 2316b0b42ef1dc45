import { describe, expect, it } from 'vitest';
import { compactJsonGrammar } from './json-schema-grammar.js';

function root(grammar: string | undefined): string {
  return grammar?.split('\n')[0] ?? '';
}

describe('compactJsonGrammar', () => {
  it('writes required properties in order with one optional space between tokens', () => {
    const grammar = compactJsonGrammar({
      type: 'object',
      additionalProperties: false,
      required: ['product', 'sentiment'],
      properties: {
        product: { type: 'string', minLength: 1, maxLength: 24, description: 'annotations are fine' },
        sentiment: { enum: ['positive', 'negative'] },
      },
    });
    expect(root(grammar)).toBe(
      'root ::= ("{" ws "\\"product\\"" ws ":" ws ("\\"" char{1,24} "\\"") ws "," ws "\\"sentiment\\"" ws ":" ws ("\\"positive\\"" | "\\"negative\\"") ws "}")',
    );
    expect(grammar).toContain('ws ::= [ ]?');
  });

  it('bounds arrays by minItems and maxItems', () => {
    const items = { type: 'integer' };
    expect(root(compactJsonGrammar({ type: 'array', items, minItems: 3, maxItems: 3 }))).toBe(
      'root ::= ("[" ws integer (ws "," ws integer){2,2} ws "]")',
    );
    expect(root(compactJsonGrammar({ type: 'array', items }))).toBe(
      'root ::= ("[" ws (integer (ws "," ws integer)*)? ws "]")',
    );
    expect(root(compactJsonGrammar({ type: 'array', items, maxItems: 0 }))).toBe('root ::= ("[" ws "]")');
  });

  it('writes const, nullable types and anyOf', () => {
    expect(root(compactJsonGrammar({ const: '夏天 "hot"' }))).toBe('root ::= "\\"夏天 \\\\\\"hot\\\\\\"\\""');
    expect(root(compactJsonGrammar({ type: ['string', 'null'] }))).toBe('root ::= (string | "null")');
    expect(root(compactJsonGrammar({ anyOf: [{ type: 'boolean' }, { type: 'number' }] }))).toBe(
      'root ::= (("true" | "false") | number)',
    );
  });

  it('leaves schemas outside the subset to the server', () => {
    const unsupported = [
      { type: 'object', properties: { a: { type: 'string' } }, required: [] },
      { type: 'object', properties: {}, additionalProperties: { type: 'string' } },
      { type: 'string', pattern: '^a+$' },
      { type: 'integer', minimum: 1 },
      { $ref: '#/$defs/x' },
      { type: 'array', items: [{ type: 'string' }] },
      { type: 'string', minLength: 5, maxLength: 2 },
      {},
    ];
    for (const schema of unsupported) expect(compactJsonGrammar(schema), JSON.stringify(schema)).toBeUndefined();
  });
});
