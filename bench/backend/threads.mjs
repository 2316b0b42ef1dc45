#!/usr/bin/env node
// Threads on a shared machine: decoding speed of llamaCppBackend when another llama.cpp
// process runs on the same cores. Configurations, each run as separate processes started
// together (a barrier: every process loads its model, then all decode at once):
//   1 process  × {1, 2, ...cores} threads  (the idle-machine figure)
//   2 processes × {1, cores/2, cores} threads each
// Every process decodes greedily `BENCH_TOKENS` (128) tokens `BENCH_ROUNDS` (4) times after
// one warm-up; the figure per process is its median round, and the machine's total is the
// sum over processes. Writes bench/results/threads.{json,md}.
//
//   npm run build && node bench/backend/threads.mjs
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  importDist,
  integerFromEnvironment,
  loadAverage,
  machineInfo,
  markdownTable,
  median,
  modelPath,
  round,
  writeResults,
} from './common.mjs';

const tokens = integerFromEnvironment('BENCH_TOKENS', 128);
const rounds = integerFromEnvironment('BENCH_ROUNDS', 4);
const prompt =
  'Write a short review of a stainless steel rice cooker that costs 299 yuan, holds 3 litres and keeps rice warm for 12 hours.';

if (process.argv[2] === '--child') {
  // One decoding process: load, say ready, wait for go, decode, print the rates.
  const threads = Number(process.argv[3]);
  const { llamaCppBackend } = await importDist('index.js');
  const backend = await llamaCppBackend({
    model: 'default',
    threads,
    sequences: 1,
    gpu: false,
    build: 'never',
    defaultAdapter: false,
  });
  const decode = async () => {
    const started = performance.now();
    const result = await backend.generate({ prompt, sampling: { temperature: 0, maxTokens: tokens } });
    return result.usage.outputTokens / ((performance.now() - started) / 1000);
  };
  await decode();
  process.stdout.write('ready\n');
  await new Promise((resolve) => process.stdin.once('data', resolve));
  const rates = [];
  for (let round = 0; round < rounds; round++) rates.push(await decode());
  process.stdout.write(`${JSON.stringify({ threads, rates })}\n`);
  await backend.dispose();
  process.exit(0);
}

function child(threads) {
  const proc = spawn(process.execPath, [fileURLToPath(import.meta.url), '--child', String(threads)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  let output = '';
  proc.stdout.on('data', (chunk) => {
    output += chunk;
  });
  const ready = new Promise((resolve, reject) => {
    const check = setInterval(() => {
      if (output.includes('ready')) {
        clearInterval(check);
        resolve();
      }
    }, 50);
    proc.once('exit', (code) => {
      clearInterval(check);
      if (!output.includes('ready')) reject(new Error(`child exited with ${code} before it was ready`));
    });
  });
  const result = new Promise((resolve, reject) => {
    proc.once('exit', (code) => {
      const line = output.split('\n').find((candidate) => candidate.startsWith('{'));
      if (code !== 0 || !line) reject(new Error(`child (${threads} threads) exited with ${code}`));
      else resolve(JSON.parse(line));
    });
  });
  return { proc, ready, result };
}

async function run(processes, threads) {
  const children = Array.from({ length: processes }, () => child(threads));
  await Promise.all(children.map((entry) => entry.ready));
  for (const entry of children) entry.proc.stdin.write('go\n');
  const results = await Promise.all(children.map((entry) => entry.result));
  const perProcess = results.map((entry) => median(entry.rates));
  return {
    processes,
    threads,
    perProcessTokensPerSecond: perProcess.map((value) => round(value, 1)),
    totalTokensPerSecond: round(
      perProcess.reduce((sum, value) => sum + value, 0),
      1,
    ),
    rounds: results.map((entry) => entry.rates.map((value) => round(value, 1))),
  };
}

const cores = availableParallelism();
const configurations = [
  ...[...new Set([1, Math.max(1, Math.floor(cores / 2)), cores])].map((threads) => [1, threads]),
  ...[...new Set([1, Math.max(1, Math.floor(cores / 2)), cores])].map((threads) => [2, threads]),
];
const loadStart = loadAverage();
console.log(`model ${modelPath()}, ${cores} cores, load ${loadStart}`);
const results = [];
for (const [processes, threads] of configurations) {
  const result = await run(processes, threads);
  console.log(
    `${processes} × ${threads} threads: ${result.perProcessTokensPerSecond.join(' + ')} = ${result.totalTokensPerSecond} tok/s`,
  );
  results.push(result);
}
const loadEnd = loadAverage();
const find = (processes, threads) =>
  results.find((entry) => entry.processes === processes && entry.threads === threads);
const alone = find(1, cores);
const shared = find(2, cores);
const split = find(2, Math.max(1, Math.floor(cores / 2)));
const json = {
  benchmark: 'threads',
  description:
    'Decoding tokens/s of llamaCppBackend (greedy, one sequence, no adapter) with 1 or 2 llama.cpp processes on the same machine and 1..cores threads each; processes decode at the same time (barrier after load and warm-up).',
  machine: machineInfo(),
  loadAverage: { start: loadStart, end: loadEnd },
  settings: { model: modelPath(), tokens, rounds, cores },
  results,
  ratios: {
    twoProcessesAllCoresVsAlone: round(shared.totalTokensPerSecond / alone.totalTokensPerSecond, 3),
    twoProcessesSplitCoresVsAlone: round(split.totalTokensPerSecond / alone.totalTokensPerSecond, 3),
  },
};
const markdown = `# Threads on a shared machine

Generated by \`bench/backend/threads.mjs\` on ${json.machine.date}. Machine: ${cores} × ${json.machine.cpuModel}, Node ${json.machine.node}. Load average at start ${loadStart.join(' / ')}, at end ${loadEnd.join(' / ')}.

\`llamaCppBackend({ model: 'default', threads, sequences: 1, gpu: false, defaultAdapter: false })\` in each process; greedy decoding of ${tokens} tokens, ${rounds} rounds after a warm-up; processes load first and then decode at the same time. Per process: the median round.

${markdownTable(
  ['processes × threads each', 'tokens/s per process', 'machine total (tokens/s)', 'rounds (tokens/s)'],
  results.map((entry) => [
    `${entry.processes} × ${entry.threads}`,
    entry.perProcessTokensPerSecond.join(', '),
    entry.totalTokensPerSecond,
    entry.rounds.map((list) => list.join(' / ')).join(' · '),
  ]),
)}

- Two processes with all ${cores} threads each: machine total **${json.ratios.twoProcessesAllCoresVsAlone}×** one process alone with ${cores} threads.
- Two processes with ${Math.max(1, Math.floor(cores / 2))} thread(s) each (cores ÷ processes): machine total **${json.ratios.twoProcessesSplitCoresVsAlone}×** one process alone.
`;
writeResults('threads', json, markdown);
