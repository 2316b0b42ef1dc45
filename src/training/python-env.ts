import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cacheDirectory } from '../core/cache.js';
import { CopyForgeError } from '../core/errors.js';
import { packageRoot } from '../core/package-root.js';

/**
 * The folder holding `train_sft.py` and `requirements.txt`, beside the code that runs them:
 * `dist/training/python` in the built package, `src/training/python` when run from source.
 */
export function trainingScriptsDirectory(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const beside = join(here, 'python');
  if (existsSync(join(beside, 'train_sft.py'))) return beside;
  const built = join(here, 'training', 'python');
  if (existsSync(join(built, 'train_sft.py'))) return built;
  return join(packageRoot(), 'src', 'training', 'python');
}

/** Options for {@link ensurePythonEnvironment}. */
export interface PythonEnvironmentOptions {
  /**
   * The Python interpreter that creates the environment (3.10 or newer).
   * @default process.env.COPYFORGE_PYTHON ?? 'python3'
   */
  python?: string;
  /** Called with each line pip prints while installing (first use only). */
  onInstallLine?: (line: string) => void;
  /** Cancels the install. */
  signal?: AbortSignal;
}

/** A ready training environment. */
export interface PythonEnvironment {
  /** The environment's own interpreter. */
  python: string;
  /** The environment's folder in the cache. */
  directory: string;
  /** True when this call installed it. */
  installed: boolean;
}

/** What {@link runProcess} resolves with. */
export interface ProcessResult {
  /** Exit code; null when the process was killed by a signal or did not start. */
  code: number | null;
  /** The signal that ended it, when one did (e.g. SIGKILL from the OOM killer). */
  signal?: NodeJS.Signals | null;
  /** The last 64 kB of stdout and stderr. */
  output: string;
  /** Why the process could not start. */
  spawnError?: Error;
}

/**
 * Runs a command; resolves with its exit code and output. `onLine` gets complete stdout lines
 * and `onErrorLine` complete stderr lines, each stream split on its own (a line of one stream
 * is never cut by the other's output).
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: {
    onLine?: (line: string) => void;
    onErrorLine?: (line: string) => void;
    signal?: AbortSignal;
    env?: NodeJS.ProcessEnv;
  } = {},
): Promise<ProcessResult> {
  return new Promise((resolve) => {
    let output = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, env: options.env });
    const reader = (onLine?: (line: string) => void) => {
      let pending = '';
      return {
        take(text: string) {
          output = (output + text).slice(-64_000);
          pending += text;
          const lines = pending.split(/\r?\n|\r/u);
          pending = lines.pop() ?? '';
          for (const line of lines) if (line.trim()) onLine?.(line);
        },
        flush() {
          if (pending.trim()) onLine?.(pending);
          pending = '';
        },
      };
    };
    const out = reader(options.onLine);
    const error = reader(options.onErrorLine ?? options.onLine);
    child.stdout.setEncoding('utf8');
    child.stderr.setEncoding('utf8');
    child.stdout.on('data', (text: string) => out.take(text));
    child.stderr.on('data', (text: string) => error.take(text));
    child.on('error', (spawnError) => resolve({ code: null, output, spawnError }));
    child.on('close', (code, signal) => {
      out.flush();
      error.flush();
      resolve({ code, signal, output });
    });
  });
}

function abortedDuring(step: string, signal: AbortSignal | undefined): CopyForgeError | undefined {
  if (!signal?.aborted) return undefined;
  return new CopyForgeError('CF_ABORTED', `Cancelled while ${step}.`, { cause: signal.reason });
}

async function checkInterpreter(python: string): Promise<void> {
  const result = await runProcess(python, ['-c', 'import sys, venv, ensurepip; print("%d.%d" % sys.version_info[:2])']);
  const version = result.output.trim().split('\n').pop() ?? '';
  const [major, minor] = version.split('.').map(Number);
  if (result.code !== 0 || major === undefined || minor === undefined || Number.isNaN(minor)) {
    throw new CopyForgeError(
      'CF_TRAINING_ENVIRONMENT',
      `Training needs Python 3.10 or newer with the venv and ensurepip modules, and '${python}' could not run them ` +
        `(${result.spawnError?.message ?? result.output.trim().slice(-300)}). Install it ` +
        '(Debian/Ubuntu: apt-get install python3 python3-venv) or point COPYFORGE_PYTHON at one.',
    );
  }
  if (major < 3 || (major === 3 && minor < 10)) {
    throw new CopyForgeError(
      'CF_TRAINING_ENVIRONMENT',
      `Training needs Python 3.10 or newer; '${python}' is ${version}. Install a newer Python or point COPYFORGE_PYTHON at one.`,
    );
  }
}

/**
 * Creates (first use) or reuses the pinned Python environment `copyforge train sft` runs in:
 * a venv in the cache (`$COPYFORGE_CACHE/python/sft-<hash of requirements.txt>`) with torch,
 * transformers and peft at the versions of `requirements.txt`. PyPI's Linux torch is the CUDA
 * build (about 3 GB to download, 5.6 GB installed); it runs on CPU. A half-finished install is
 * redone, never used.
 */
export async function ensurePythonEnvironment(options: PythonEnvironmentOptions = {}): Promise<PythonEnvironment> {
  const requirementsPath = join(trainingScriptsDirectory(), 'requirements.txt');
  const requirements = await readFile(requirementsPath, 'utf8');
  const hash = createHash('sha256').update(requirements).digest('hex').slice(0, 12);
  const directory = join(cacheDirectory(), 'python', `sft-${hash}`);
  const python = join(directory, 'bin', 'python');
  const marker = join(directory, '.copyforge-ready');
  if (existsSync(marker) && existsSync(python)) return { python, directory, installed: false };

  const base = options.python ?? process.env.COPYFORGE_PYTHON ?? 'python3';
  await checkInterpreter(base);
  await rm(directory, { recursive: true, force: true });
  await mkdir(join(directory, '..'), { recursive: true });
  const fail = (step: string, result: ProcessResult) =>
    abortedDuring('setting up the training environment', options.signal) ??
    new CopyForgeError(
      'CF_TRAINING_ENVIRONMENT',
      `Setting up the training environment failed at '${step}' (exit ${result.code ?? result.signal}): ` +
        `${result.spawnError?.message ?? result.output.trim().split('\n').slice(-5).join(' | ')}`,
      { details: { directory } },
    );
  const created = await runProcess(base, ['-m', 'venv', directory], { signal: options.signal });
  if (created.code !== 0) throw fail('python -m venv', created);
  const installed = await runProcess(
    python,
    [
      '-m',
      'pip',
      'install',
      '--disable-pip-version-check',
      '--no-cache-dir',
      '--progress-bar',
      'off',
      '-r',
      requirementsPath,
    ],
    { onLine: options.onInstallLine, signal: options.signal },
  );
  if (installed.code !== 0) throw fail('pip install -r requirements.txt', installed);
  await writeFile(marker, `${requirements}`);
  return { python, directory, installed: true };
}
