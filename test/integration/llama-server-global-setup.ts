// Vitest global setup for the OpenAI-compatible backend tests: gives them a real llama-server.
//
// - COPYFORGE_LLAMA_SERVER_URL already set (server root, e.g. http://127.0.0.1:8080): the tests
//   use that server; nothing is built, started or stopped.
// - Otherwise, when the run includes test/integration/openai-compatible.test.ts or
//   cli-backends.test.ts (the CLI on a model server): builds
//   llama-server from node-llama-cpp's llama.cpp source if it is not cached yet
//   (scripts/llama-server/build.mjs; about 25-45 minutes on 2 cores, once per llama.cpp tag),
//   starts it on a free 127.0.0.1 port with the default model (--threads 2, --ctx-size 4096,
//   --parallel 2, --embeddings), waits for /health, and stops it in teardown.
// - When the build or the start fails, COPYFORGE_LLAMA_SERVER_ERROR carries the reason so the
//   OpenAI-compatible tests fail with it while the rest of the integration run goes on.
//
// Workers copy the main process's environment when they are created, so the variables set
// here reach the tests as process.env values (see kafka-global-setup.ts); the URL is also
// provided as inject('llamaServerUrl').
import { relative, resolve } from 'node:path';
import type { TestProject } from 'vitest/node';
import { resolveModelPath } from '../../src/backends/llama-cpp/default-model.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Root URL of the llama-server under test ('' when none could be started). */
    llamaServerUrl: string;
  }
}

interface RunningServer {
  url: string;
  pid: number;
  startSeconds: number;
  stop(): Promise<void>;
}

interface ServerScript {
  startLlamaServer(options: {
    modelPath: string;
    threads?: number;
    contextSize?: number;
    parallel?: number;
    log?: (message: string) => void;
  }): Promise<RunningServer>;
}

const serverTestFiles = ['test/integration/openai-compatible.test.ts', 'test/integration/cli-backends.test.ts'];

/** True when the CLI filters (if any) select a test file that needs llama-server. */
function isSelected(project: TestProject): boolean {
  // `filenamePattern` holds the CLI file filters (substring matches); undefined means "all files".
  const filters = (project.vitest as unknown as { filenamePattern?: string[] }).filenamePattern;
  if (!filters || filters.length === 0) return true;
  const root = project.config.root;
  return filters.some((filter) => {
    const relativeFilter = relative(root, resolve(root, filter)).replaceAll('\\', '/');
    return serverTestFiles.some(
      (candidate) => candidate.includes(relativeFilter) || candidate.includes(filter) || relativeFilter === '',
    );
  });
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const configured = process.env.COPYFORGE_LLAMA_SERVER_URL;
  if (configured) {
    project.provide('llamaServerUrl', configured);
    return undefined;
  }
  if (!isSelected(project)) {
    project.provide('llamaServerUrl', '');
    return undefined;
  }

  const log = (message: string) => console.error(`[llama-server] ${message}`);
  let server: RunningServer;
  try {
    // @ts-expect-error plain ESM script without types (it runs before the project is built)
    const script = (await import('../../scripts/llama-server/server.mjs')) as ServerScript;
    const modelPath = await resolveModelPath();
    server = await script.startLlamaServer({ modelPath, threads: 2, contextSize: 4096, parallel: 2, log });
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log(`no llama-server for the OpenAI-compatible tests: ${reason}`);
    process.env.COPYFORGE_LLAMA_SERVER_ERROR = reason;
    project.provide('llamaServerUrl', '');
    return async () => {
      delete process.env.COPYFORGE_LLAMA_SERVER_ERROR;
    };
  }

  process.env.COPYFORGE_LLAMA_SERVER_URL = server.url;
  project.provide('llamaServerUrl', server.url);
  return async function teardown() {
    await server.stop();
    delete process.env.COPYFORGE_LLAMA_SERVER_URL;
  };
}
