// The CLI on a model server: `generate`, `label` and the `kafka` worker with
// `--backend openai-compatible` against the real llama-server that
// llama-server-global-setup.ts builds and starts (the default model, no adapter), and the
// worker against the real broker of kafka-global-setup.ts. The worker runs as its own process
// from dist/, as a container would run it.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../src/cli/index.js';
import { validateCreativesEvent } from '../../src/index.js';
import { collect, createTopics, kafkaBrokers, noteEvent, produce, uniqueTopics } from './kafka-helpers.js';

const root = resolve(import.meta.dirname, '../..');
let baseUrl = '';
const notes = [
  {
    id: 'cli-backend-1',
    title: '夏天通勤必备的防晒霜',
    body: '最近换了这款清爽型防晒霜，SPF50+，上脸不油不闷，通勤两小时补涂一次。价格128元50ml。',
    tags: ['防晒霜', '通勤'],
  },
];

beforeAll(() => {
  const setupError = process.env.COPYFORGE_LLAMA_SERVER_ERROR;
  if (setupError) throw new Error(`The global setup could not provide llama-server: ${setupError}`);
  const url = process.env.COPYFORGE_LLAMA_SERVER_URL;
  if (!url) throw new Error('COPYFORGE_LLAMA_SERVER_URL is not set; is llama-server-global-setup.ts registered?');
  baseUrl = `${url}/v1`;
});

afterAll(() => {
  vi.restoreAllMocks();
});

function quietConsole(): string[] {
  const lines: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...args) => void lines.push(args.join(' ')));
  return lines;
}

describe('CLI with --backend openai-compatible (llama-server)', () => {
  it('generate writes scored creatives made by the server', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-cli-backends-'));
    const input = join(directory, 'notes.jsonl');
    const out = join(directory, 'creatives.jsonl');
    writeFileSync(input, `${notes.map((note) => JSON.stringify(note)).join('\n')}\n`);
    const errors = quietConsole();
    const code = await main([
      'generate',
      ...['--backend', 'openai-compatible', '--base-url', baseUrl, '--in', input, '--out', out],
      ...['--titles', '3', '--rm', 'usability', '--seed', '1', '--quiet'],
    ]);
    expect(code, errors.join('\n')).toBe(0);
    const [line] = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text));
    expect(line.noteId).toBe('cli-backend-1');
    // One of the note's tags (the schema's enum), whichever the bare model picks.
    expect(['防晒霜', '通勤']).toContain(line.promotionTarget);
    expect(line.creatives.length).toBeGreaterThanOrEqual(1);
    expect(line.creatives.length).toBeLessThanOrEqual(3);
    // The backend id names the detected dialect: llama-server:<model>.
    expect(line.provenance.backendId).toMatch(/^llama-server:/);
    // The usability RM scored each title; fluency needs token scores, which llama-server serves.
    for (const creative of line.creatives) {
      expect(creative.scores.map((score: { rewardModel: string }) => score.rewardModel)).toContain('usability');
    }
  });

  it('label names a target and tier from the server, and refuses --lora there', async () => {
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-cli-backends-'));
    const input = join(directory, 'notes.jsonl');
    const out = join(directory, 'labels.jsonl');
    writeFileSync(input, `${JSON.stringify({ note: notes[0], titles: ['通勤补涂的防晒霜'] })}\n`);
    const errors = quietConsole();
    const code = await main([
      'label',
      ...['--backend', 'openai-compatible', '--base-url', baseUrl, '--in', input, '--out', out],
      ...['--no-cache', '--quiet'],
    ]);
    expect(code, errors.join('\n')).toBe(0);
    const [line] = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text));
    expect(line.noteId).toBe('cli-backend-1');
    expect(line.labels.promotionTarget.length).toBeGreaterThan(0);
    expect(line.labels.audienceTier.length).toBeGreaterThan(0);
    expect(line.labels.styles.length).toBeGreaterThanOrEqual(1);

    const refused = await main([
      'label',
      ...['--backend', 'openai-compatible', '--base-url', baseUrl, '--lora', 'x.gguf', '--in', input, '--out', out],
    ]);
    expect(refused).toBe(1);
    expect(errors.join('\n')).toMatch(/CF_INVALID_CONFIG.*--lora applies to a local model/);
  });
});

describe('copyforge kafka --config (backend openai-compatible)', () => {
  it('consumes a note event and emits its scored creatives, then stops on SIGTERM with exit 0', async () => {
    const cli = join(root, 'dist/cli.js');
    if (!existsSync(cli)) throw new Error(`${cli} is missing: run \`npm run build\` before the integration tests.`);
    const topics = uniqueTopics('cli-backend');
    await createTopics([topics.inputTopic, topics.outputTopic, topics.deadLetterTopic], 1);
    // The settings come from a config file, as a container ships them; --titles is a flag on top.
    const directory = mkdtempSync(join(tmpdir(), 'copyforge-worker-config-'));
    const configPath = join(directory, 'worker.json');
    writeFileSync(
      configPath,
      JSON.stringify({
        brokers: kafkaBrokers(),
        ...topics,
        titles: 5,
        rewardModels: ['none'],
        backend: { type: 'openai-compatible', baseUrl },
      }),
    );
    const child = spawn(process.execPath, [cli, 'kafka', '--config', configPath, '--titles', '2'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const exited = new Promise<number | null>((resolveExit) => child.once('exit', (code) => resolveExit(code)));
    try {
      const started = Date.now();
      while (!stderr.includes('consuming from')) {
        if (child.exitCode !== null) throw new Error(`the worker exited (${child.exitCode}):\n${stderr}`);
        if (Date.now() - started > 60_000) throw new Error(`the worker did not start in 60 s:\n${stderr}`);
        await new Promise((wait) => setTimeout(wait, 100));
      }
      await produce(topics.inputTopic, [JSON.stringify(noteEvent(1))]);
      const outputs = await collect(topics.outputTopic, (messages) => messages.length >= 1, { timeoutMs: 150_000 });
      expect(outputs, stderr).toHaveLength(1);
      const event = validateCreativesEvent(JSON.parse(outputs[0]?.value?.toString('utf8') ?? 'null'));
      expect(event.noteId).toBe(noteEvent(1).note.id);
      expect(event.creatives.length).toBeGreaterThanOrEqual(1);
      expect(event.creatives.length).toBeLessThanOrEqual(2);
      expect(event.creatives[0]?.provenance?.backendId).toMatch(/^llama-server:/);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, stderr).toBe(0);
    expect(stderr).toMatch(/copyforge kafka: stopped/);
  });
});
