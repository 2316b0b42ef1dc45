// The training path end to end on the tiny generated model, as CI can afford it: a dataset in
// the format `copyforge dataset sft` writes -> trainSft (real PyTorch + PEFT, a few steps) ->
// llama.cpp's converter -> a GGUF adapter that the llama.cpp backend loads, and whose greedy
// output differs from the bare model's and follows what it was trained on. Also the CLI.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llamaCppBackend } from '../../src/backends/llama-cpp/llama-cpp-backend.js';
import { sha256OfFile } from '../../src/backends/llama-cpp/verify.js';
import { writeTinyGguf } from '../../src/testing/tiny-gguf.js';
import { type SftProgress, trainSft } from '../../src/training/train-sft.js';

const folder = mkdtempSync(join(tmpdir(), 'copyforge-train-tiny-'));
const answer = '{"ok":true}';
let modelPath: string;
let dataPath: string;

async function greedy(lora?: string): Promise<string> {
  const backend = await llamaCppBackend({
    modelPath,
    ...(lora ? { lora } : {}),
    threads: 1,
    sequences: 1,
    contextSize: 256,
    gpu: false,
    build: 'never',
  });
  try {
    const result = await backend.generate({
      prompt: 'note: a kettle for 39 yuan\n\nAnswer:\n',
      sampling: { maxTokens: 8, temperature: 0 },
    });
    return result.candidates[0]?.text ?? '';
  } finally {
    await backend.dispose();
  }
}

afterAll(async () => {
  await rm(folder, { recursive: true, force: true });
});

beforeAll(async () => {
  // The global setup could not install the Python environment: fail with its reason.
  if (process.env.COPYFORGE_TRAINING_ERROR) throw new Error(process.env.COPYFORGE_TRAINING_ERROR);
  modelPath = await writeTinyGguf(join(folder, 'tiny.gguf'));
  // Every prompt answers the same short JSON: a few steps at a high rate learn it.
  const notes = ['a kettle for 39 yuan', 'running shoes, 42 EU', 'a 5 L air fryer', 'sunscreen SPF50', 'a desk lamp'];
  dataPath = join(folder, 'train.jsonl');
  writeFileSync(
    dataPath,
    `${notes.map((note) => JSON.stringify({ prompt: `note: ${note}\n\nAnswer:\n`, completion: answer })).join('\n')}\n`,
  );
});

describe('trainSft on the tiny model', () => {
  it('trains an adapter the llama.cpp backend loads, which changes and steers its output', async () => {
    const progress: SftProgress[] = [];
    const out = join(folder, 'run');
    const { adapterPath, card } = await trainSft({
      data: dataPath,
      out,
      model: modelPath,
      maxSteps: 40,
      epochs: 100,
      batchSize: 5,
      learningRate: 0.02,
      warmupSteps: 2,
      rank: 8,
      alpha: 16,
      dropout: 0,
      threads: 1,
      checkpointEvery: 20,
      onProgress: (event) => progress.push(event),
    });
    expect(existsSync(adapterPath)).toBe(true);
    expect(card.steps).toBe(40);
    expect(card.lossCurve).toHaveLength(40);
    expect(card.lossCurve.at(-1) as number).toBeLessThan((card.lossCurve[0] as number) / 4);
    expect(card.baseModel.sha256).toBe(await sha256OfFile(modelPath));
    expect(card.adapter.sha256).toBe(await sha256OfFile(adapterPath));
    expect(card.data.examples).toBe(5);
    expect(progress.filter((event) => event.phase === 'step')).toHaveLength(40);
    expect(progress.some((event) => event.phase === 'checkpoint')).toBe(true);

    const bare = await greedy();
    const tuned = await greedy(adapterPath);
    expect(tuned).not.toBe(bare);
    expect(tuned.startsWith('{"ok')).toBe(true);
  });

  it('resumes from its checkpoint', async () => {
    const out = join(folder, 'resume');
    const common = {
      data: dataPath,
      out,
      model: modelPath,
      epochs: 100,
      batchSize: 5,
      learningRate: 0.02,
      warmupSteps: 2,
      rank: 4,
      threads: 1,
      checkpointEvery: 5,
    };
    await trainSft({ ...common, maxSteps: 5 });
    const events: SftProgress[] = [];
    const { card } = await trainSft({
      ...common,
      maxSteps: 8,
      resume: true,
      onProgress: (event) => events.push(event),
    });
    const start = events.find((event) => event.phase === 'start');
    expect(start && start.phase === 'start' ? start.resumedAt : -1).toBe(5);
    expect(events.filter((event) => event.phase === 'step')).toHaveLength(3);
    expect(card.lossCurve).toHaveLength(8);
  });

  it('continues from an earlier adapter with initAdapter, and refuses one of another rank', async () => {
    const common = {
      data: dataPath,
      model: modelPath,
      epochs: 100,
      batchSize: 5,
      learningRate: 0.02,
      warmupSteps: 2,
      rank: 4,
      alpha: 8,
      dropout: 0,
      threads: 1,
    };
    const first = await trainSft({ ...common, out: join(folder, 'init-a'), maxSteps: 20 });
    const second = await trainSft({
      ...common,
      out: join(folder, 'init-b'),
      maxSteps: 2,
      initAdapter: join(folder, 'init-a'),
    });
    // It starts where the first run ended, not from zero.
    expect(second.card.lossCurve[0] as number).toBeLessThan((first.card.lossCurve[0] as number) / 2);
    expect(second.card.initAdapter?.path).toBe(join(folder, 'init-a', 'adapter'));
    expect(second.card.initAdapter?.sha256).toMatch(/^[0-9a-f]{64}$/);
    const refused = await trainSft({
      ...common,
      rank: 8,
      out: join(folder, 'init-c'),
      maxSteps: 2,
      initAdapter: join(folder, 'init-a'),
    }).then(
      () => undefined,
      (reason: unknown) => reason as { code?: string; message?: string },
    );
    expect(refused?.code).toBe('CF_TRAINING_FAILED');
    expect(refused?.message).toMatch(/--init-adapter: .* was trained with other r/);
  });

  it('refuses to resume a checkpoint made with other data, with CF_TRAINING_FAILED saying why', async () => {
    const out = join(folder, 'mismatch');
    const common = { out, model: modelPath, epochs: 100, batchSize: 5, rank: 4, threads: 1, checkpointEvery: 2 };
    await trainSft({ ...common, data: dataPath, maxSteps: 2 });
    const other = join(folder, 'other.jsonl');
    writeFileSync(other, `${JSON.stringify({ prompt: 'note: x\n\nAnswer:\n', completion: '{"no":1}' })}\n`);
    const error = await trainSft({ ...common, data: other, maxSteps: 4, resume: true }).then(
      () => undefined,
      (reason: unknown) => reason as { code?: string; message?: string },
    );
    expect(error?.code).toBe('CF_TRAINING_FAILED');
    expect(error?.message).toContain('Cannot resume');
    expect(existsSync(join(out, 'adapter.gguf'))).toBe(false);
  });

  it('runs from the CLI: `copyforge train sft` prints the adapter path and writes the card', async () => {
    const out = join(folder, 'cli');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        'dist/cli.js',
        'train',
        'sft',
        '--data',
        dataPath,
        '--out',
        out,
        '--model',
        modelPath,
        '--max-steps',
        '3',
        '--epochs',
        '10',
        '--batch-size',
        '5',
        '--threads',
        '1',
        '--quiet',
      ],
      { timeout: 170_000 },
    );
    expect(stdout.trim()).toBe(join(out, 'adapter.gguf'));
    const card = JSON.parse(readFileSync(join(out, 'adapter.card.json'), 'utf8'));
    expect(card.format).toBe('copyforge-adapter-card-v1');
    expect(card.steps).toBe(3);
  });

  it('trains from `copyforge dataset sft` output from the CLI', async () => {
    const run = promisify(execFile);
    // Labelled notes as `copyforge label` writes them (two notes of the SFT corpus).
    const rows = readFileSync(join('data', 'sft', 'notes', 'kitchen.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .slice(0, 2);
    const labels = join(folder, 'labels.jsonl');
    writeFileSync(
      labels,
      `${rows
        .map((line) => {
          const { note, label } = JSON.parse(line);
          return JSON.stringify({
            noteId: note.id,
            note,
            labels: {
              promotionTarget: label.promotionTarget,
              audienceTier: label.audienceTier,
              titles: label.titles.map((entry: { title: string }) => entry.title),
              styles: label.titles.map((entry: { style: string }) => entry.style),
            },
            reachTier: 'interest',
            grounding: { grounded: true, method: 'exact' },
            flags: [],
          });
        })
        .join('\n')}\n`,
    );
    const sft = join(folder, 'loop-sft');
    await run(process.execPath, [
      'dist/cli.js',
      'dataset',
      'sft',
      '--in',
      labels,
      '--out',
      sft,
      '--format',
      'completion',
      '--kinds',
      'unified',
      '--validation-fraction',
      '0',
      '--quiet',
    ]);
    const adapterOut = join(folder, 'loop-adapter');
    const { stdout: adapter } = await run(
      process.execPath,
      [
        'dist/cli.js',
        'train',
        'sft',
        '--data',
        sft,
        '--out',
        adapterOut,
        '--model',
        modelPath,
        '--max-steps',
        '2',
        '--epochs',
        '10',
        '--batch-size',
        '2',
        '--max-length',
        '4096',
        '--threads',
        '1',
        '--quiet',
      ],
      { timeout: 170_000 },
    );
    expect(JSON.parse(readFileSync(join(adapterOut, 'adapter.card.json'), 'utf8')).data.examples).toBe(2);
    expect(existsSync(adapter.trim())).toBe(true);
    // `generate --lora` with this adapter is exercised on the real model in title-adapter.test.ts
    // (the tiny random model cannot write schema-valid titles within the forge's token budget).
  });
});
