// The model hub source never hangs: against a local "hub" that accepts connections and never
// answers (what a firewall that drops packets looks like), and one that sends headers and
// then stalls mid-download, `pullDefaultModel` gives up within its bounds with one line saying
// why, and falls through to the next source. Uses real node-llama-cpp and an empty cache.
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullDefaultModel } from '../../src/backends/llama-cpp/default-model.js';
import { isCopyForgeError } from '../../src/core/errors.js';

const saved = {
  cache: process.env.COPYFORGE_CACHE,
  endpoint: process.env.MODEL_ENDPOINT,
  model: process.env.COPYFORGE_MODEL,
};
const servers: { close(): void }[] = [];
let silentPort: number;
let stallingPort: number;

beforeAll(async () => {
  process.env.COPYFORGE_CACHE = mkdtempSync(join(tmpdir(), 'copyforge-empty-cache-'));
  delete process.env.COPYFORGE_MODEL;
  // Accepts TCP connections and never writes a byte.
  const silent: Server = createServer(() => {});
  silent.listen(0, '127.0.0.1');
  await once(silent, 'listening');
  silentPort = (silent.address() as { port: number }).port;
  servers.push(silent);
  // Answers every request with headers and a first chunk, then goes quiet.
  const stalling = createHttpServer((request, response) => {
    response.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': '253113024' });
    if (request.method !== 'HEAD') response.write(Buffer.alloc(1024));
  });
  stalling.listen(0, '127.0.0.1');
  await once(stalling, 'listening');
  stallingPort = (stalling.address() as { port: number }).port;
  servers.push({
    close: () => {
      stalling.closeAllConnections();
      stalling.close();
    },
  });
});

afterAll(() => {
  for (const server of servers) server.close();
  for (const [key, value] of [
    ['COPYFORGE_CACHE', saved.cache],
    ['MODEL_ENDPOINT', saved.endpoint],
    ['COPYFORGE_MODEL', saved.model],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});

async function failure(promise: Promise<unknown>) {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!isCopyForgeError(error)) throw new Error(`expected a CopyForgeError, got ${String(error)}`);
  return error;
}

describe('pullDefaultModel with an unreachable or stalling hub', () => {
  it('gives up on a hub that never answers within the connect bound and names why', async () => {
    process.env.MODEL_ENDPOINT = `http://127.0.0.1:${silentPort}`;
    const started = performance.now();
    const error = await failure(pullDefaultModel({ sources: ['hub'], hubConnectTimeoutMs: 1500 }));
    const seconds = (performance.now() - started) / 1000;
    expect(error.code).toBe('CF_MODEL_NOT_FOUND');
    expect(error.message).toContain('hub: the model hub did not answer within 1.5 s');
    expect(seconds).toBeLessThan(30);
  });

  it('falls through to the next source after the hub, reporting both', async () => {
    process.env.MODEL_ENDPOINT = `http://127.0.0.1:${silentPort}`;
    const error = await failure(pullDefaultModel({ sources: ['hub', 'nowhere' as never], hubConnectTimeoutMs: 1000 }));
    expect(error.message).toMatch(/hub: the model hub did not answer.*nowhere: unknown source/su);
  });

  it('gives up on a hub whose download stalls', async () => {
    process.env.MODEL_ENDPOINT = `http://127.0.0.1:${stallingPort}`;
    const error = await failure(
      pullDefaultModel({ sources: ['hub'], hubConnectTimeoutMs: 5000, hubStallTimeoutMs: 1500 }),
    );
    expect(error.code).toBe('CF_MODEL_NOT_FOUND');
    expect(error.message).toMatch(/hub: the model hub (download stalled for 1\.5 s|did not answer within 5 s)/u);
  });
});
