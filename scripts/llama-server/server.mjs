#!/usr/bin/env node
// Starts the cached llama-server (see build.mjs) on 127.0.0.1 and waits until /health says ok.
//
//   node scripts/llama-server/server.mjs --model <file.gguf> [--port 8080] [--threads 2]
//                                        [--ctx-size 4096] [--parallel 2] [--no-embeddings]
//
// Runs in the foreground until Ctrl-C. The tests use startLlamaServer() from their global setup.
// Plain Node ESM with only built-in modules.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BuildError, buildLlamaServer } from './build.mjs';

const STOP_GRACE_MS = 10_000;

function defaultLog(message) {
  console.error(`[llama-server] ${message}`);
}

/** A free TCP port on 127.0.0.1 (the OS picks; a tiny race with other processes remains). */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitForHealth(url, child, timeoutMs, output) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new BuildError(
        `llama-server exited (${child.signalCode ?? `code ${child.exitCode}`}) before it was ready. Last output:\n${output()}`,
      );
    }
    try {
      const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      // 503 while the model loads, 200 when ready.
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new BuildError(`llama-server did not become healthy within ${timeoutMs} ms. Last output:\n${output()}`);
}

/**
 * Starts llama-server with a model and resolves once `/health` answers 200.
 * Returns `{ url, port, pid, binaryPath, startSeconds, stop() }`; `url` is the server root (no /v1).
 */
export async function startLlamaServer(options) {
  const log = options.log ?? defaultLog;
  if (!options.modelPath || !fs.existsSync(options.modelPath)) {
    throw new BuildError(`No model file at ${options.modelPath}`);
  }
  const binaryPath = options.binaryPath ?? (await buildLlamaServer({ log })).binaryPath;
  const port = options.port ?? (await freePort());
  const threads = options.threads ?? Math.min(2, os.availableParallelism());
  const parallel = options.parallel ?? 2;
  const args = [
    '--model',
    options.modelPath,
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--threads',
    String(threads),
    '--threads-batch',
    String(threads),
    // Total KV size; each of the `parallel` slots gets an equal share.
    '--ctx-size',
    String(options.contextSize ?? 4096),
    '--parallel',
    String(parallel),
    ...(options.embeddings === false ? [] : ['--embeddings', '--pooling', 'mean']),
    ...(options.extraArgs ?? []),
  ];
  const started = Date.now();
  const child = spawn(binaryPath, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let tail = '';
  const collect = (chunk) => {
    tail = (tail + chunk.toString()).slice(-6000);
    options.onOutput?.(chunk.toString());
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const url = `http://127.0.0.1:${port}`;
  const exited = new Promise((resolve) => child.once('exit', resolve));

  async function stop() {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  }

  try {
    await waitForHealth(url, child, options.startTimeoutMs ?? 120_000, () => tail);
  } catch (error) {
    await stop();
    throw error;
  }
  const startSeconds = (Date.now() - started) / 1000;
  log(`listening on ${url} (pid ${child.pid}, ready in ${startSeconds.toFixed(1)} s)`);
  return { url, port, pid: child.pid, binaryPath, startSeconds, stop, output: () => tail };
}

function readFlag(argv, name) {
  const index = argv.indexOf(name);
  return index >= 0 ? argv[index + 1] : undefined;
}

async function main(argv) {
  const modelPath = readFlag(argv, '--model');
  if (!modelPath) throw new BuildError('--model <file.gguf> is required');
  const number = (name) => {
    const value = readFlag(argv, name);
    return value === undefined ? undefined : Number(value);
  };
  const server = await startLlamaServer({
    modelPath: path.resolve(modelPath),
    port: number('--port'),
    threads: number('--threads'),
    contextSize: number('--ctx-size'),
    parallel: number('--parallel'),
    embeddings: !argv.includes('--no-embeddings'),
  });
  console.log(`${server.url}/v1`);
  const shutdown = () => {
    server.stop().then(() => process.exit(0));
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).catch((error) => {
    console.error(error instanceof BuildError ? `[llama-server] ${error.message}` : error);
    process.exitCode = 1;
  });
}
