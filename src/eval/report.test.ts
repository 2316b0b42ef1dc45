import { describe, expect, it } from 'vitest';
import { CopyForgeError } from '../core/errors.js';
import type { JsonLine } from '../core/jsonl.js';
import type { ScoredCreative } from '../schemas/types.js';
import { parseBaselineTitles, parseStoredJudgements, parseSystemResults } from './inputs.js';
import { renderReport } from './render.js';
import { acceptanceFunnel, buildEvaluationReport, buildGsbPairs, scoreDistributions } from './report.js';
import { loadSampleNotes, sampleJudgements, sampleSystemResults } from './test-fixtures.js';

function creative(id: string, verdicts: Record<string, 'pass' | 'fail'>, accepted: boolean): ScoredCreative {
  return {
    creative: {
      id,
      noteId: 'n1',
      title: `title ${id}`,
      style: 'benefit',
      controls: { promotionTarget: 'x', audienceTier: 'y' },
    },
    scores: Object.entries(verdicts).map(([rewardModel, verdict]) => ({
      rewardModel,
      version: '1',
      score: verdict === 'pass' ? 0.9 : 0.1,
      verdict,
      reasons: [],
    })),
    accepted,
  };
}

function lines(...values: unknown[]): JsonLine[] {
  return values.map((value, index) => ({ line: index + 1, value, text: JSON.stringify(value) }));
}

function caught(run: () => unknown): CopyForgeError {
  try {
    run();
  } catch (error) {
    return error as CopyForgeError;
  }
  throw new Error('expected a throw');
}

describe('acceptanceFunnel', () => {
  it('keeps a subset at each stage, from usability, compliance and accepted verdicts', () => {
    const creatives = [
      creative('a', { usability: 'pass', compliance: 'pass', accepted: 'pass' }, true),
      creative('b', { usability: 'pass', compliance: 'pass', accepted: 'fail' }, false),
      creative('c', { usability: 'pass', compliance: 'fail', accepted: 'pass' }, true),
      creative('d', { usability: 'fail', compliance: 'pass', accepted: 'pass' }, true),
      creative('e', { usability: 'pass' }, false),
    ];
    // usability passes a b c e; compliance passes a b (e has no compliance score); accepted passes a
    expect(acceptanceFunnel(creatives).map((stage) => [stage.stage, stage.count, stage.measured])).toEqual([
      ['generated', 5, true],
      ['usability', 4, true],
      ['compliance', 2, true],
      ['accepted', 1, true],
    ]);
  });

  it('lets unmeasured stages through and falls back to the accepted flag', () => {
    const creatives = [creative('a', { usability: 'pass' }, true), creative('b', { usability: 'pass' }, false)];
    expect(acceptanceFunnel(creatives).map((stage) => [stage.count, stage.measured])).toEqual([
      [2, true],
      [2, true],
      [2, false],
      [1, true],
    ]);
  });
});

describe('scoreDistributions', () => {
  it('bins scores into tenths and counts verdicts', () => {
    const [usability] = scoreDistributions([
      creative('a', { usability: 'pass' }, true),
      creative('b', { usability: 'fail' }, false),
      creative('c', { usability: 'pass' }, true),
    ]);
    expect(usability).toMatchObject({ rewardModel: 'usability', count: 3, median: 0.9, min: 0.1, max: 0.9 });
    expect(usability?.mean).toBeCloseTo(1.9 / 3, 12);
    expect(usability?.histogram).toEqual([0, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
    expect(usability?.verdicts).toEqual({ pass: 2, fail: 1, unknown: 0 });
  });
});

describe('input parsing', () => {
  it('reads nested and flat lines and merges them by note', () => {
    const results = parseSystemResults(
      lines({ noteId: 'n1', creatives: [creative('a', {}, true)] }, creative('b', { usability: 'pass' }, false), {
        ...creative('c', {}, true),
        creative: { ...creative('c', {}, true).creative, noteId: 'n2' },
      }),
      'results.jsonl',
    );
    expect(results.map((result) => [result.noteId, result.creatives.length])).toEqual([
      ['n1', 2],
      ['n2', 1],
    ]);
  });

  it('names the file, line and field of a bad line', () => {
    const bad = creative('a', {}, true) as unknown as { creative: Record<string, unknown> };
    delete bad.creative.title;
    const error = caught(() =>
      parseSystemResults(lines({ noteId: 'n1', creatives: [] }, { noteId: 'n1', creatives: [bad] }), 'r.jsonl'),
    );
    expect(error.code).toBe('CF_INVALID_INPUT');
    expect(error.message).toMatch(/^r\.jsonl line 2: '\/creatives\/0\/creative\/title' is required/);
    expect(error.issues[0]?.path).toBe('/creatives/0/creative/title');
    expect(error.details).toEqual({ file: 'r.jsonl', line: 2 });

    expect(caught(() => parseSystemResults(lines({ creatives: [] }), 'r.jsonl')).message).toMatch(
      /line 1: '\/noteId' is required/,
    );
    const mismatch = caught(() =>
      parseSystemResults(lines({ noteId: 'zz', creatives: [creative('a', {}, true)] }), 'r'),
    );
    expect(mismatch.issues[0]?.path).toBe('/creatives/0/creative/noteId');
    const note = caught(() => parseSystemResults(lines({ noteId: 'n1', note: { id: 'n1' }, creatives: [] }), 'r'));
    expect(note.issues.map((issue) => issue.path)).toContain('/note/title');
    const json = caught(() =>
      parseSystemResults(
        [{ line: 4, text: '{', error: new CopyForgeError('CF_INVALID_JSON', 'Line 4 is not JSON') }],
        'r',
      ),
    );
    expect(json.code).toBe('CF_INVALID_JSON');
    expect(caught(() => parseBaselineTitles(lines({ noteId: 'n1', titles: [1] }), 'b.jsonl')).message).toMatch(
      /b\.jsonl line 1: '\/titles\/0' must be string/,
    );
    expect(caught(() => parseStoredJudgements(lines({ noteId: 'n1', verdict: 'win' }), 'j')).issues[0]?.path).toBe(
      '/verdict',
    );
  });
});

describe('buildEvaluationReport and renderReport', () => {
  const notes = loadSampleNotes();
  const system = sampleSystemResults(notes);
  const report = buildEvaluationReport({
    system,
    notes,
    judgements: sampleJudgements(system),
    seed: 3,
    now: () => new Date('2026-01-01T00:00:00Z'),
  });

  it('compares the system with a sampled baseline of 12 original titles per note', () => {
    expect(report.baselineSource).toBe('sampled');
    expect(report.noteCount).toBe(24);
    expect(report.creativeCount).toBe(288);
    expect(report.diversity.baseline?.titleCount).toBe(24 * 12);
    expect(report.diversity.system.mean.coverage).not.toBeNull();
    // random original titles of other notes cover almost none of a note's salient items
    expect(report.diversity.system.mean.coverage as number).toBeGreaterThan(
      report.diversity.baseline?.mean.coverage as number,
    );
    expect(report.gsb.judge?.interval).not.toBeNull();
    expect(report.scores.map((score) => score.rewardModel)).toEqual(['usability', 'attractiveness', 'compliance']);
    expect(report.funnel.map((stage) => stage.stage)).toEqual(['generated', 'usability', 'compliance', 'accepted']);
  });

  it('renders markdown tables and self-contained HTML with every chart', () => {
    const { markdown, html } = renderReport(report);
    expect(markdown).toContain('| distinct-2 |');
    expect(markdown).toContain('| LLM judge |');
    expect(markdown).toContain('| passed compliance |');
    for (const id of ['chart-diversity', 'chart-gsb', 'chart-funnel', 'chart-scores-usability']) {
      expect(html).toContain(`id="${id}"`);
    }
    expect(html).not.toMatch(/<script|<link|@import|url\(|src=/i);
  });

  it('escapes note ids and names in HTML', () => {
    const hostile = buildEvaluationReport({
      system: [{ noteId: '<img onerror=x>', creatives: [] }],
      systemName: '</title><b>',
    });
    const { html } = renderReport(hostile);
    expect(html).not.toContain('<img onerror');
    expect(html).toContain('&lt;img onerror=x&gt;');
    expect(html).not.toContain('</title><b>');
  });

  it('builds one GSB pair per note with titles on both sides and the goal from the controls', () => {
    const pairs = buildGsbPairs(system, [{ noteId: 'zh-001', titles: ['a', 'b'] }]);
    expect(pairs).toHaveLength(1);
    expect(pairs[0]?.system).toHaveLength(12);
    expect(pairs[0]?.goal).toContain('防晒');
  });
});
