import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CopyForgeEvents } from '../core/events.js';
import { definePlugin, defineRewardModel } from '../core/spec-host.js';
import type { Creative, Note } from '../schemas/types.js';
import type { RewardModelV1 } from '../spec/reward-model-v1.js';
import { VERSION } from '../version.js';
import { createRewardModelHost } from './host.js';

const fixtures = fileURLToPath(new URL('./test-fixtures/', import.meta.url));
const note: Note = { id: 'n1', title: 'Cast iron', body: 'A 26cm cast iron skillet for $35.' };
const creatives: Creative[] = ['A 26cm skillet', 'The $35 pan', 'Cast iron every day'].map((title, index) => ({
  id: `c${index}`,
  noteId: 'n1',
  title,
  style: 'plain',
  controls: { promotionTarget: 'skillet', audienceTier: 'cooks' },
}));

const lengthModel = defineRewardModel<{ maxLength?: number }>({
  name: 'length',
  version: '1.0.0',
  role: 'veto',
  configSchema: {
    type: 'object',
    additionalProperties: false,
    properties: { maxLength: { type: 'integer', minimum: 1 } },
  },
  async scoreBatch(candidates, context) {
    const maxLength = context.config.maxLength ?? 100;
    return candidates.map((candidate) => ({
      score: candidate.title.length <= maxLength ? 1 : 0,
      verdict: candidate.title.length <= maxLength ? 'pass' : 'fail',
      reasons: [],
    }));
  },
});

function brokenModel(name: string, scoreBatch: RewardModelV1['scoreBatch']): RewardModelV1 {
  return defineRewardModel({ name, version: '0.0.1', configSchema: { type: 'object' }, scoreBatch });
}

function collectErrors(events: CopyForgeEvents) {
  const errors: { rewardModel: string; code: string }[] = [];
  events.on('rm.plugin-error', (event) => errors.push(event.payload));
  return errors;
}

describe('reward model host isolation', () => {
  it('turns a throwing model into unknown verdicts and still scores the rest of the batch', async () => {
    const events = new CopyForgeEvents();
    const errors = collectErrors(events);
    const host = await createRewardModelHost({
      rewardModels: [lengthModel, brokenModel('thrower', () => Promise.reject(new Error('boom')))],
      events,
    });
    const scored = await host.scoreCandidates(note, creatives);
    expect(scored).toHaveLength(3);
    for (const item of scored) {
      expect(item.scores[0]).toMatchObject({ rewardModel: 'length', verdict: 'pass', score: 1 });
      expect(item.scores[1]).toMatchObject({
        rewardModel: 'thrower',
        verdict: 'unknown',
        reasons: [{ code: 'CF_REWARD_MODEL_FAILED', message: expect.stringContaining('boom') }],
      });
    }
    expect(errors).toEqual([expect.objectContaining({ rewardModel: 'thrower', code: 'CF_REWARD_MODEL_FAILED' })]);
  });

  it('times out a hanging model, aborts its signal, and scores the rest', async () => {
    const events = new CopyForgeEvents();
    const errors = collectErrors(events);
    let seenSignal: AbortSignal | undefined;
    const hanging = brokenModel('hanging', (_candidates, context) => {
      seenSignal = context.signal;
      return new Promise(() => {});
    });
    const host = await createRewardModelHost({ rewardModels: [hanging, lengthModel], events, timeoutMs: 30 });
    const scored = await host.scoreCandidates(note, creatives);
    expect(scored.map((item) => item.scores[0]?.reasons[0]?.code)).toEqual(['CF_TIMEOUT', 'CF_TIMEOUT', 'CF_TIMEOUT']);
    expect(scored.map((item) => item.scores[1]?.verdict)).toEqual(['pass', 'pass', 'pass']);
    expect(seenSignal?.aborted).toBe(true);
    expect(errors[0]).toMatchObject({ rewardModel: 'hanging', code: 'CF_TIMEOUT' });
  });

  it('rejects malformed returns: wrong length for the batch, bad entries one by one', async () => {
    const events = new CopyForgeEvents();
    const errors = collectErrors(events);
    const short = brokenModel('short', async () => [{ score: 1, verdict: 'pass', reasons: [] }]);
    const bad = brokenModel('bad', async () => [
      { score: Number.NaN, verdict: 'pass', reasons: [] },
      { score: 0.8, verdict: 'maybe' as 'pass', reasons: [] },
      { score: 0.9, verdict: 'pass', reasons: [{ code: 'ok', message: 'fine', span: 'pan' }] },
    ]);
    const outside = brokenModel('outside', async (candidates) =>
      candidates.map(() => ({ score: 1.5, verdict: 'pass' as const, reasons: [] })),
    );
    const host = await createRewardModelHost({ rewardModels: [lengthModel, short, bad, outside], events });
    const scored = await host.scoreCandidates(note, creatives);
    expect(scored.every((item) => item.scores[0]?.verdict === 'pass')).toBe(true);
    expect(scored.every((item) => item.scores[1]?.verdict === 'unknown')).toBe(true);
    expect(scored[0]?.scores[1]?.reasons[0]?.message).toMatch(/returned 1 scores for 3 candidates/);
    expect(scored.map((item) => item.scores[2]?.verdict)).toEqual(['unknown', 'unknown', 'pass']);
    expect(scored[2]?.scores[2]).toMatchObject({ score: 0.9, reasons: [{ code: 'ok', span: 'pan' }] });
    expect(scored.every((item) => item.scores[3]?.reasons[0]?.code === 'CF_REWARD_MODEL_FAILED')).toBe(true);
    expect(errors.map((error) => error.rewardModel).sort()).toEqual(['bad', 'outside', 'short']);
  });

  it('rejects with CF_ABORTED when the caller cancels', async () => {
    const host = await createRewardModelHost({
      rewardModels: [brokenModel('hanging', () => new Promise(() => {}))],
      timeoutMs: 60_000,
    });
    const controller = new AbortController();
    const pending = host.scoreCandidates(note, creatives, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ code: 'CF_ABORTED' });
  });

  it('stops a plugin that blocks the event loop in worker isolation and restarts its worker', async () => {
    const events = new CopyForgeEvents();
    const errors = collectErrors(events);
    const host = await createRewardModelHost({
      rewardModels: [{ module: './blocking-plugin.mjs', isolation: 'worker' }],
      baseDirectory: fixtures,
      configs: { length: { maxLength: 12 } },
      timeoutMs: 3000,
      events,
    });
    try {
      expect(host.rewardModels.map((model) => [model.name, model.isolation])).toEqual([
        ['block', 'worker'],
        ['length', 'worker'],
      ]);
      const spinning = await host.scoreCandidates({ ...note, id: 'spin' }, creatives);
      expect(spinning.map((item) => item.scores[0]?.reasons[0]?.code)).toEqual([
        'CF_TIMEOUT',
        'CF_TIMEOUT',
        'CF_TIMEOUT',
      ]);
      expect(spinning.map((item) => item.scores[1]?.verdict)).toEqual(['fail', 'pass', 'fail']);
      const next = await host.scoreCandidates(note, creatives);
      expect(next.map((item) => item.scores[0]?.verdict)).toEqual(['pass', 'pass', 'pass']);
    } finally {
      await host.close();
    }
    expect(errors).toEqual([expect.objectContaining({ rewardModel: 'block', code: 'CF_TIMEOUT' })]);
  }, 20_000);
});

describe('reward model registration', () => {
  it('refuses an unknown specificationVersion and an incompatible semver range with coded errors', async () => {
    await expect(
      createRewardModelHost({ rewardModels: [{ ...lengthModel, specificationVersion: 'v2' } as never] }),
    ).rejects.toMatchObject({ code: 'CF_UNSUPPORTED_SPECIFICATION_VERSION' });
    const plugin = definePlugin({ name: 'old', version: '1.0.0', copyforge: '>=99.0.0', rewardModels: [lengthModel] });
    await expect(createRewardModelHost({ rewardModels: [plugin] })).rejects.toMatchObject({
      code: 'CF_PLUGIN_INCOMPATIBLE',
    });
    await expect(
      createRewardModelHost({ rewardModels: ['./future-plugin.mjs'], baseDirectory: fixtures }),
    ).rejects.toMatchObject({ code: 'CF_PLUGIN_INCOMPATIBLE', message: expect.stringContaining('future-plugin.mjs') });
    await expect(
      createRewardModelHost({ rewardModels: ['./missing.mjs'], baseDirectory: fixtures }),
    ).rejects.toMatchObject({
      code: 'CF_INVALID_PLUGIN',
    });
  });

  it('validates each config against its schema, naming the field, and freezes it', async () => {
    await expect(
      createRewardModelHost({ rewardModels: [lengthModel], configs: { length: { maxLength: 0 } } }),
    ).rejects.toMatchObject({
      code: 'CF_INVALID_CONFIG',
      issues: [expect.objectContaining({ path: '/configs/length/maxLength', rule: 'minimum' })],
    });
    await expect(createRewardModelHost({ rewardModels: [lengthModel], configs: { lenght: {} } })).rejects.toMatchObject(
      { code: 'CF_INVALID_CONFIG', message: expect.stringContaining('lenght') },
    );
    const host = await createRewardModelHost({ rewardModels: [lengthModel], configs: { length: { maxLength: 12 } } });
    expect(Object.isFrozen(host.rewardModels[0]?.config)).toBe(true);
    const scored = await host.scoreCandidates(note, creatives);
    expect(scored.map((item) => item.scores[0]?.verdict)).toEqual(['fail', 'pass', 'fail']);
  });

  it('refuses duplicate names and loads default or named plugin exports from paths', async () => {
    await expect(createRewardModelHost({ rewardModels: [lengthModel, lengthModel] })).rejects.toMatchObject({
      code: 'CF_DUPLICATE_REGISTRATION',
    });
    const host = await createRewardModelHost({
      rewardModels: ['./named-export-plugin.mjs', `${fixtures}blocking-plugin.mjs`],
      baseDirectory: fixtures,
      sdkVersion: VERSION,
    });
    expect(host.rewardModels.map((model) => `${model.plugin}/${model.name}`)).toEqual([
      'named-fixture/named',
      'blocking-fixture/block',
      'blocking-fixture/length',
    ]);
    const scored = await host.scoreCandidates(note, creatives);
    expect(scored[0]?.scores.map((score) => score.verdict)).toEqual(['pass', 'pass', 'pass']);
  });

  it('calls a plugin init once, before first use', async () => {
    let calls = 0;
    const plugin = definePlugin({
      name: 'lazy',
      version: '1.0.0',
      copyforge: `^${VERSION}`,
      rewardModels: [lengthModel],
      async init() {
        calls++;
      },
    });
    const host = await createRewardModelHost({ rewardModels: [plugin] });
    expect(calls).toBe(0);
    await host.scoreCandidates(note, creatives);
    await host.scoreCandidates(note, creatives);
    expect(calls).toBe(1);
  });

  it('scores and selects: sorted output with accepted and rank', async () => {
    const rank = defineRewardModel({
      name: 'rank-by-length',
      version: '1.0.0',
      role: 'rank',
      configSchema: { type: 'object' },
      async scoreBatch(candidates) {
        return candidates.map((candidate) => ({ score: candidate.title.length / 100, verdict: 'pass', reasons: [] }));
      },
    });
    const host = await createRewardModelHost({
      rewardModels: [lengthModel, rank],
      configs: { length: { maxLength: 15 } },
    });
    const ranked = await host.scoreAndSelect(note, creatives, { policy: { topK: 1 } });
    expect(ranked.map((item) => [item.creative.id, item.accepted, item.rank])).toEqual([
      ['c0', true, 1],
      ['c1', false, 2],
      ['c2', false, 3],
    ]);
  });
});

describe('reward-model host, hostile plugins and options', () => {
  const verdicts = async (host: Awaited<ReturnType<typeof createRewardModelHost>>, model: string) =>
    (await host.scoreCandidates(note, creatives)).map(
      (entry) => entry.scores.find((score) => score.rewardModel === model)?.verdict,
    );

  it('turns a sparse score array or a throwing getter into unknown verdicts with an event, not a crash', async () => {
    const events = new CopyForgeEvents();
    const errors: string[] = [];
    events.on('rm.plugin-error', ({ payload }) => void errors.push(payload.rewardModel));
    const sparse = brokenModel('sparse', async (candidates) => new Array(candidates.length));
    const getter = brokenModel('getter', async (candidates) =>
      candidates.map(() => ({
        get score(): number {
          throw new Error('boom');
        },
        verdict: 'pass' as const,
        reasons: [],
      })),
    );
    const host = await createRewardModelHost({ rewardModels: [sparse, getter, lengthModel], events });
    expect(await verdicts(host, 'sparse')).toEqual(['unknown', 'unknown', 'unknown']);
    expect(await verdicts(host, 'getter')).toEqual(['unknown', 'unknown', 'unknown']);
    expect(await verdicts(host, 'length')).toEqual(['pass', 'pass', 'pass']);
    expect(errors).toEqual(expect.arrayContaining(['sparse', 'getter']));
    const selected = await host.scoreAndSelect(note, creatives);
    expect(selected).toHaveLength(3);
  });

  it('keeps one plugin from changing what the others score', async () => {
    const saboteur = brokenModel('saboteur', async (candidates) => {
      (candidates as unknown as unknown[]).splice(0);
      return [];
    });
    const host = await createRewardModelHost({ rewardModels: [saboteur, lengthModel] });
    expect(await verdicts(host, 'saboteur')).toEqual(['unknown', 'unknown', 'unknown']);
    expect(await verdicts(host, 'length')).toEqual(['pass', 'pass', 'pass']);
  });

  it('times out a plugin whose init never settles instead of hanging', async () => {
    const plugin = definePlugin({
      name: 'slow-init',
      version: '1.0.0',
      copyforge: `^${VERSION}`,
      rewardModels: [lengthModel],
      init: () => new Promise<void>(() => {}),
    });
    const host = await createRewardModelHost({ rewardModels: [plugin], timeoutMs: 150 });
    const started = Date.now();
    expect(await verdicts(host, 'length')).toEqual(['unknown', 'unknown', 'unknown']);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('registers a config schema with an $id in a second host, and models named like Object.prototype members', async () => {
    const withId = defineRewardModel({
      name: 'toString',
      version: '1.0.0',
      configSchema: { $id: 'https://example.com/rm-config.json', type: 'object' },
      async scoreBatch(candidates) {
        return candidates.map(() => ({ score: 1, verdict: 'pass' as const, reasons: [] }));
      },
    });
    for (let round = 0; round < 2; round++) {
      const host = await createRewardModelHost({ rewardModels: [withId] });
      expect(await verdicts(host, 'toString')).toEqual(['pass', 'pass', 'pass']);
    }
  });

  it('names the field of a config that holds a function, and refuses bad host options', async () => {
    await expect(
      createRewardModelHost({ rewardModels: [lengthModel], configs: { length: { maxLength: () => 3 } } }),
    ).rejects.toMatchObject({ code: 'CF_INVALID_CONFIG', issues: [{ path: '/configs/length/maxLength' }] });
    for (const [options, path] of [
      [{ rewardModels: [lengthModel], timeoutMs: 2 ** 31 }, '/timeoutMs'],
      [{}, '/rewardModels'],
      [{ rewardModels: null }, '/rewardModels'],
      [{ rewardModels: {} }, '/rewardModels'],
      [{ rewardModels: [{ module: 5 }] }, '/rewardModels/0/module'],
      [{ rewardModels: [lengthModel], isolation: 5 }, '/isolation'],
      [{ rewardModels: [42] }, '/rewardModels/0'],
    ] as const) {
      await expect(createRewardModelHost(options as never), JSON.stringify(options)).rejects.toMatchObject({
        code: 'CF_INVALID_CONFIG',
        issues: [expect.objectContaining({ path })],
      });
    }
    await expect(
      createRewardModelHost({ rewardModels: [{ ...lengthModel, role: 'banana' } as never] }),
    ).rejects.toMatchObject({ code: 'CF_INVALID_PLUGIN', issues: [{ path: '/role' }] });
  });
});
