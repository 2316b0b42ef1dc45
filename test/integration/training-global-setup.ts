// Vitest global setup: makes sure the pinned Python training environment (torch, transformers,
// peft) and the llama.cpp converter are in the cache before the training tests run, installing
// them once (about 3 GB from PyPI) with a progress line every 15 s. When that fails (no Python
// 3.10+, no network to PyPI), COPYFORGE_TRAINING_ERROR carries the reason: the training tests
// fail with it while the rest of the integration run goes on (workers copy this environment).
import { ensureLlamaCppSource } from '../../src/training/llama-cpp-source.js';
import { ensurePythonEnvironment } from '../../src/training/python-env.js';

export default async function setup(): Promise<void> {
  try {
    await prepare();
  } catch (error) {
    const reason = `${(error as { code?: string }).code ?? 'Error'}: ${(error as Error).message}`;
    process.env.COPYFORGE_TRAINING_ERROR = reason;
    console.log(`[training] the training environment is not available: ${reason}`);
  }
}

async function prepare(): Promise<void> {
  const started = performance.now();
  let lastReport = 0;
  let lines = 0;
  const environment = await ensurePythonEnvironment({
    onInstallLine: (line) => {
      lines++;
      if (performance.now() - lastReport < 15_000) return;
      lastReport = performance.now();
      console.log(`[training] pip (${lines} lines): ${line.slice(0, 160)}`);
    },
  });
  await ensureLlamaCppSource();
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(
    `[training] Python environment ${environment.installed ? 'installed' : 'ready'} at ${environment.directory} (${seconds} s)`,
  );
}
