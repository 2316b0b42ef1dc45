import { trainSft } from '../../training/train-sft.js';
import type { CliCommand } from '../command.js';
import { numberOption, stringOption } from '../options.js';
import { createProgress, type Progress } from '../progress.js';

const usage = [
  'Usage: copyforge train sft --data <dir|file.jsonl> --out <dir> [--model base.gguf]',
  '                           [--epochs 1] [--max-steps 0] [--batch-size 8] [--learning-rate 0.0002]',
  '                           [--rank 16] [--alpha 32] [--max-length 1024] [--seed 1] [--threads N]',
  '                           [--checkpoint-every 25] [--resume] [--init-adapter <earlier out>]',
  '                           [--full-backprop] [--quiet]',
  '',
  'LoRA supervised fine-tuning on CPU. --data is what `copyforge dataset sft` writes (its train.jsonl,',
  'prompt-completion or chat lines); the loss is on the answer only. The first run sets up a pinned',
  'Python environment in the cache (PyTorch, transformers, peft: about 3 GB to download; needs',
  'Python >= 3.10 with venv, or COPYFORGE_PYTHON). Writes <out>/adapter.gguf and <out>/adapter.card.json',
  '(base-model and data sha256, seed, hyper-parameters, loss curve, time); checkpoints every',
  '--checkpoint-every steps, and --resume continues from the last one. --init-adapter starts from the',
  'adapter an earlier run wrote (same rank, alpha, modules; new schedule). --full-backprop also tunes',
  'how prompts are encoded (about 4x slower). Then: copyforge generate --lora <out>/adapter.gguf',
].join('\n');

/** `copyforge train sft`. */
export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'fine-tune the title model (LoRA SFT) on `dataset sft` output',
  usage,
  options: {
    data: { type: 'string' },
    out: { type: 'string' },
    model: { type: 'string' },
    epochs: { type: 'string' },
    'max-steps': { type: 'string' },
    'batch-size': { type: 'string' },
    'learning-rate': { type: 'string' },
    rank: { type: 'string' },
    alpha: { type: 'string' },
    'max-length': { type: 'string' },
    seed: { type: 'string' },
    threads: { type: 'string' },
    'checkpoint-every': { type: 'string' },
    resume: { type: 'boolean' },
    'init-adapter': { type: 'string' },
    'full-backprop': { type: 'boolean' },
    quiet: { type: 'boolean' },
  },
  allowPositionals: true,
  async run(values, positionals) {
    const data = stringOption(values, 'data');
    const out = stringOption(values, 'out');
    if (positionals[0] !== 'sft' || !data || !out) {
      console.error(usage);
      return 2;
    }
    const quiet = values.quiet === true;
    let progress: Progress | undefined;
    const controller = new AbortController();
    const stop = () => controller.abort(new Error('interrupted'));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    try {
      const { adapterPath, cardPath, card } = await trainSft({
        data,
        out,
        model: stringOption(values, 'model'),
        epochs: numberOption(values, 'epochs'),
        maxSteps: numberOption(values, 'max-steps'),
        batchSize: numberOption(values, 'batch-size'),
        learningRate: numberOption(values, 'learning-rate'),
        rank: numberOption(values, 'rank'),
        alpha: numberOption(values, 'alpha'),
        maxLength: numberOption(values, 'max-length'),
        seed: numberOption(values, 'seed'),
        threads: numberOption(values, 'threads'),
        checkpointEvery: numberOption(values, 'checkpoint-every'),
        resume: values.resume === true,
        initAdapter: stringOption(values, 'init-adapter'),
        detachPrompt: values['full-backprop'] !== true,
        signal: controller.signal,
        onProgress: (event) => {
          if (quiet) return;
          if (event.phase === 'start') {
            console.error(
              `training on ${event.examples} examples (${event.dropped} too long, left out), ${event.steps} steps` +
                (event.resumedAt ? `, resuming at step ${event.resumedAt}` : ''),
            );
            // Steps left to run: a resumed run's rate and ETA count only what it does itself.
            progress = createProgress({ unit: 'steps', total: event.steps - event.resumedAt });
          } else if (event.phase === 'step') {
            progress?.tick(
              1,
              `loss ${event.loss.toFixed(3)}  ${Math.round(event.tokensPerSecond)} tok/s  epoch ${event.epoch.toFixed(2)}`,
            );
          } else if (event.phase === 'converting') {
            progress?.done();
            console.error(event.message);
          } else if (event.phase !== 'checkpoint') {
            console.error(event.message);
          }
        },
      });
      const first = card.lossCurve[0]?.toFixed(3) ?? '?';
      const last = card.lossCurve.at(-1)?.toFixed(3) ?? '?';
      console.error(`loss ${first} -> ${last} over ${card.steps} steps in ${Math.round(card.trainSeconds)} s`);
      console.error(`card: ${cardPath}`);
      console.log(adapterPath);
      return 0;
    } finally {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
    }
  },
};
