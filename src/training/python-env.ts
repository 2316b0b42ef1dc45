import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { cacheDirectory } from '../core/cache.js';
import { CopyForgeError } from '../core/errors.js';
import { packageRoot } from '../core/package-root.js';

/** The folder holding `train_sft.py` and `requirements.txt`: in dist when built, in src otherwise. */
export function trainingScriptsDirectory(): string {
  const root = packageRoot();
  const built = join(root, 'dist', 'training', 'python');
  return existsSync(join(built, 'train_sft.py')) ? built : join(root, 'src', 'training', 'python');
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

/** Runs a command; resolves with its exit code and output (stdout and stderr interleaved). */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { onLine?: (line: string) => void; signal?: AbortSignal; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number | null; output: string; spawnError?: Error }> {
  return new Promise((resolve) => {
    let output = '';
    let pending = '';
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], signal: options.signal, env: options.env });
    const take = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      output = (output + text).slice(-64_000);
      pending += text;
      const lines = pending.split(/\r?\n|\r/u);
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim()) options.onLine?.(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (error) => resolve({ code: null, output, spawnError: error }));
    child.on('close', (code) => resolve({ code, output }));
  });
}

async function checkInterpreter(python: string): Promise<void> {
  const result = await runProcess(python, ['-c', 'import sys, venv; print("%d.%d" % sys.version_info[:2])']);
  const version = result.output.trim().split('\n').pop() ?? '';
  const [major, minor] = version.split('.').map(Number);
  if (result.code !== 0 || major === undefined || minor === undefined || Number.isNaN(minor)) {
    throw new CopyForgeError(
      'CF_TRAINING_ENVIRONMENT',
      `Training needs Python 3.10 or newer with the venv module, and '${python}' could not be run ` +
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
  const fail = (step: string, result: { code: number | null; output: string; spawnError?: Error }) =>
    new CopyForgeError(
      'CF_TRAINING_ENVIRONMENT',
      `Setting up the training environment failed at '${step}' (exit ${result.code}): ` +
        `${result.spawnError?.message ?? result.output.trim().split('\n').slice(-5).join(' | ')}`,
      { details: { directory } },
    );
  const created = await runProcess(base, ['-m', 'venv', directory], { signal: options.signal });
  if (created.code !== 0) throw fail('python -m venv', created);
  const installed = await runProcess(
    python,
    ['-m', 'pip', 'install', '--disable-pip-version-check', '--progress-bar', 'off', '-r', requirementsPath],
    { onLine: options.onInstallLine, signal: options.signal },
  );
  if (installed.code !== 0) throw fail('pip install -r requirements.txt', installed);
  await writeFile(marker, `${requirements}`);
  return { python, directory, installed: true };
}
