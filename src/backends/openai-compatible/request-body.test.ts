import { describe, expect, it } from 'vitest';
import type { WarningV1 } from '../../spec/shared-v1.js';
import {
  type BodyOptions,
  exactTokenGrammar,
  generateBody,
  renderScoringPrompt,
  sanitizeSchemaName,
} from './request-body.js';

const openai: BodyOptions = {
  dialect: 'openai',
  model: 'gpt-x',
  strictJsonSchema: true,
  jsonGrammar: 'server',
  extraBody: undefined,
};
const llamaServer: BodyOptions = { ...openai, dialect: 'llama-server' };
const schema = { type: 'object', properties: { a: { type: 'string' } }, required: ['a'], additionalProperties: false };
const sampling = {
  temperature: 0.7,
  topK: 40,
  topP: 0.9,
  minP: 0.05,
  repeatPenalty: 1.1,
  repeatLastTokens: 512,
  presencePenalty: 0.4,
  frequencyPenalty: 0.1,
  seed: 7,
  maxTokens: 64,
};

describe('generateBody', () => {
  it('sends only OpenAI fields in the openai dialect and warns about the rest', () => {
    const warnings: WarningV1[] = [];
    const body = generateBody(
      {
        messages: [{ role: 'user', content: 'hi' }],
        // A window shorter than the output cannot be honoured by OpenAI's whole-output penalties.
        sampling: { ...sampling, repeatLastTokens: 32, stop: ['\n'] },
        responseFormat: { type: 'json-schema', schema, name: 'summary v1' },
      },
      openai,
      0,
      warnings,
    );
    expect(body).toEqual({
      model: 'gpt-x',
      messages: [{ role: 'user', content: 'hi' }],
      temperature: 0.7,
      top_p: 0.9,
      seed: 7,
      max_tokens: 64,
      stop: ['\n'],
      presence_penalty: 0.4,
      frequency_penalty: 0.1,
      response_format: { type: 'json_schema', json_schema: { name: 'summary_v1', schema, strict: true } },
      stream: false,
    });
    expect(warnings.map((warning) => (warning.type === 'unsupported-option' ? warning.option : ''))).toEqual([
      'sampling.topK',
      'sampling.minP',
      'sampling.repeatPenalty',
      'sampling.repeatLastTokens',
    ]);
  });

  it('sends no warning for a repeat window that covers the whole output in the openai dialect', () => {
    const warnings: WarningV1[] = [];
    generateBody(
      { prompt: 'Once', sampling: { maxTokens: 64, repeatLastTokens: 64, presencePenalty: 0.6 } },
      openai,
      0,
      warnings,
    );
    expect(warnings).toEqual([]);
  });

  it('uses the llama-server extensions and a fresh prompt evaluation for seeded requests', () => {
    const warnings: WarningV1[] = [];
    const body = generateBody(
      { prompt: 'Once', sampling, responseFormat: { type: 'json-schema', schema } },
      llamaServer,
      2,
      warnings,
    );
    expect(body).toMatchObject({
      prompt: 'Once',
      top_k: 40,
      min_p: 0.05,
      repeat_penalty: 1.1,
      repeat_last_n: 512,
      presence_penalty: 0.4,
      frequency_penalty: 0.1,
      seed: 9,
      json_schema: schema,
      cache_prompt: false,
    });
    expect(body).not.toHaveProperty('response_format');
    expect(warnings).toEqual([]);
  });

  it('sends the compact grammar to llama-server when the schema allows, else json_schema', () => {
    const compact: BodyOptions = { ...llamaServer, jsonGrammar: 'compact' };
    const request = { prompt: 'x', responseFormat: { type: 'json-schema' as const, schema } };
    const body = generateBody(request, compact, 0, undefined);
    expect(body.grammar).toMatch(/^root ::= \("\{" ws "\\"a\\"" ws ":" ws string ws "\}"\)\n/);
    expect(body).not.toHaveProperty('json_schema');
    const optional = { type: 'object', properties: { a: { type: 'string' } } };
    const fallback = generateBody(
      { prompt: 'x', responseFormat: { type: 'json-schema', schema: optional } },
      compact,
      0,
      [],
    );
    expect(fallback).toMatchObject({ json_schema: optional });
    expect(fallback).not.toHaveProperty('grammar');
  });

  it('passes GBNF grammars to llama-server and refuses them for the openai dialect', () => {
    const request = { prompt: 'x', responseFormat: { type: 'grammar' as const, grammar: 'root ::= "a"' } };
    expect(generateBody(request, llamaServer, 0, undefined)).toMatchObject({ grammar: 'root ::= "a"' });
    expect(() => generateBody(request, openai, 0, undefined)).toThrow(
      expect.objectContaining({ code: 'CF_CAPABILITY_MISSING' }),
    );
  });

  it('merges extraBody last', () => {
    const body = generateBody({ prompt: 'x' }, { ...openai, extraBody: { top_k: 5, stream: false } }, 0, undefined);
    expect(body).toMatchObject({ top_k: 5 });
  });
});

describe('helpers', () => {
  it('builds a grammar that forces token ids', () => {
    expect(exactTokenGrammar([5, 17, 3])).toBe('root ::= <[5]> <[17]> <[3]>');
  });

  it('renders chat turns for scoring like the llama.cpp backend', () => {
    expect(renderScoringPrompt('plain')).toBe('plain');
    expect(
      renderScoringPrompt([
        { role: 'system', content: ' Be brief. ' },
        { role: 'user', content: 'Rate this.' },
      ]),
    ).toBe('Be brief.\n\nRate this.\n\n');
  });

  it('cleans schema names for OpenAI', () => {
    expect(sanitizeSchemaName('title list/v2')).toBe('title_list_v2');
    expect(sanitizeSchemaName('')).toBe('response');
  });
});
