#!/usr/bin/env node
// Builds llama.cpp's `llama-server` (CPU only, Release) from the llama.cpp source that
// node-llama-cpp ships, and caches the binary so later runs reuse it.
//
//   node scripts/llama-server/build.mjs            build if needed, print the binary's path
//   node scripts/llama-server/build.mjs --force    build again even when a cached binary exists
//   node scripts/llama-server/build.mjs --jobs 4   parallel compile jobs (default 2, or COPYFORGE_BUILD_JOBS)
//   node scripts/llama-server/build.mjs --print    print the cached binary's path; exit 1 when there is none
//
// Source: node_modules/node-llama-cpp/llama/gitRelease.bundle (a git bundle of llama.cpp), at the
// tag named by node_modules/node-llama-cpp/llama/llama.cpp.info.json, so the HTTP server and the
// in-process backend run the same llama.cpp. Needs git, cmake (>= 3.14), a C++17 compiler
// (g++ or clang++) and, preferably, ninja: apt-get install git cmake ninja-build g++.
//
// Layout under the cache folder ($COPYFORGE_CACHE, else $XDG_CACHE_HOME/copyforge, else ~/.cache/copyforge):
//   llama-server/<tag>/source/          the checked-out source (removed after a successful build)
//   llama-server/<tag>/build/           the cmake build tree (removed after a successful build)
//   llama-server/<tag>/bin/llama-server the statically linked binary
//   llama-server/<tag>/build.json       written last: marks a complete build (commit, flags, seconds, bytes)
//
// Plain Node ESM with only built-in modules, so it runs before the project is installed or built.

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const scriptDirectory = path.dirname(fileURLToPath(import.meta.url));
const repositoryRoot = path.resolve(scriptDirectory, '..', '..');

/** CMake options: CPU only, no network at build or run time, one self-contained executable. */
export const CMAKE_OPTIONS = [
  '-DCMAKE_BUILD_TYPE=Release',
  '-DBUILD_SHARED_LIBS=OFF',
  // Portable x86-64 (AVX2/FMA/F16C baseline) instead of -march=native, so a cached binary moves between machines.
  '-DGGML_NATIVE=OFF',
  '-DLLAMA_CURL=OFF',
  '-DLLAMA_OPENSSL=OFF',
  '-DLLAMA_BUILD_TESTS=OFF',
  '-DLLAMA_BUILD_EXAMPLES=OFF',
  '-DLLAMA_BUILD_SERVER=ON',
  // The web UI would be fetched from the network; the API does not need it.
  '-DLLAMA_BUILD_UI=OFF',
  '-DLLAMA_USE_PREBUILT_UI=OFF',
];

/** An expected failure: the CLI prints its message without a stack trace. */
export class BuildError extends Error {
  name = 'BuildError';
}

function defaultLog(message) {
  console.error(`[llama-server] ${message}`);
}

function seconds(milliseconds) {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

/** CopyForge's cache folder (same rule as src/core/cache.ts). */
export function cacheDirectory() {
  if (process.env.COPYFORGE_CACHE) return path.resolve(process.env.COPYFORGE_CACHE);
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'copyforge');
}

/** Where node-llama-cpp keeps its llama.cpp source bundle and the tag it names. */
export function llamaCppSource(root = repositoryRoot) {
  const llamaDirectory = path.join(root, 'node_modules', 'node-llama-cpp', 'llama');
  const infoPath = path.join(llamaDirectory, 'llama.cpp.info.json');
  const bundlePath = path.join(llamaDirectory, 'gitRelease.bundle');
  if (!fs.existsSync(infoPath) || !fs.existsSync(bundlePath)) {
    throw new BuildError(
      `node-llama-cpp's llama.cpp source is missing (${bundlePath}); run npm install first (node-llama-cpp is a dev dependency).`,
    );
  }
  const info = JSON.parse(fs.readFileSync(infoPath, 'utf8'));
  if (typeof info.tag !== 'string' || !/^[A-Za-z0-9._-]+$/.test(info.tag)) {
    throw new BuildError(`${infoPath} names no usable tag`);
  }
  return { tag: info.tag, bundlePath };
}

/** The folder of one tag's build: `<cache>/llama-server/<tag>`. */
export function buildHome(tag = llamaCppSource().tag) {
  return path.join(cacheDirectory(), 'llama-server', tag);
}

/** Path of the cached binary for a tag (it may not exist yet). */
export function llamaServerBinaryPath(tag = llamaCppSource().tag) {
  return path.join(buildHome(tag), 'bin', process.platform === 'win32' ? 'llama-server.exe' : 'llama-server');
}

/** The build record of a complete build, or undefined. */
export function readBuildRecord(tag = llamaCppSource().tag) {
  const recordPath = path.join(buildHome(tag), 'build.json');
  try {
    const record = JSON.parse(fs.readFileSync(recordPath, 'utf8'));
    return fs.existsSync(record.binaryPath) ? record : undefined;
  } catch {
    return undefined;
  }
}

/** The commit a git bundle's HEAD points at, or undefined when git cannot tell. */
function readBundleCommit(bundlePath) {
  const probe = spawnSync('git', ['bundle', 'list-heads', bundlePath], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return undefined;
  return /^([0-9a-f]{40})\s+HEAD$/m.exec(probe.stdout)?.[1] ?? /^([0-9a-f]{40})\s/m.exec(probe.stdout)?.[1];
}

function findProgram(names) {
  for (const name of names) {
    const probe = spawnSync(name, ['--version'], { encoding: 'utf8' });
    if (!probe.error && probe.status === 0) return { name, version: probe.stdout.split('\n')[0].trim() };
  }
  return undefined;
}

/** Checks git, cmake, a C++ compiler and ninja; throws one clear message naming what is missing. */
export function checkToolchain() {
  const git = findProgram(['git']);
  const cmake = findProgram(['cmake']);
  const compiler = process.env.CXX ? findProgram([process.env.CXX]) : findProgram(['c++', 'g++', 'clang++']);
  const ninja = findProgram(['ninja', 'ninja-build']);
  const missing = [];
  if (!git) missing.push('git (to unpack the source bundle)');
  if (!cmake) missing.push('cmake');
  if (!compiler) missing.push('a C++17 compiler (g++ or clang++)');
  if (missing.length > 0) {
    throw new BuildError(
      `Cannot build llama-server: ${missing.join(', ')} not found on PATH. ` +
        'Install them (Debian/Ubuntu: apt-get install git cmake ninja-build g++), or point ' +
        'COPYFORGE_LLAMA_SERVER_URL at a running llama-server instead.',
    );
  }
  return { git, cmake, compiler, ninja };
}

function run(command, args, { cwd, log, label }) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    let lastProgress = 0;
    const onData = (chunk) => {
      const text = chunk.toString();
      tail = (tail + text).slice(-8000);
      // Ninja prints "[12/345] Building ..."; report about every 10 seconds.
      const matches = [...text.matchAll(/\[(\d+)\/(\d+)\]/g)];
      const last = matches.at(-1);
      if (last && Date.now() - lastProgress > 10_000) {
        lastProgress = Date.now();
        log(`${label}: ${last[1]}/${last[2]}`);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('error', (error) => reject(new BuildError(`${label}: could not run ${command}: ${error.message}`)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve(tail);
      else reject(new BuildError(`${label} failed (${signal ?? `exit code ${code}`}). Last output:\n${tail}`));
    });
  });
}

function isProcessAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === 'EPERM';
  }
}

/** One build per tag at a time: a lock file holding the builder's pid; a stale lock is taken over. */
async function acquireLock(lockPath, log) {
  let announced = false;
  for (;;) {
    try {
      fs.writeFileSync(lockPath, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(lockPath, { force: true });
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
      const owner = Number(fs.readFileSync(lockPath, 'utf8'));
      if (!Number.isInteger(owner) || owner === process.pid || !isProcessAlive(owner)) {
        fs.rmSync(lockPath, { force: true });
        continue;
      }
      if (!announced) log(`waiting for the build running in process ${owner}`);
      announced = true;
      await new Promise((resolve) => setTimeout(resolve, 2000));
    }
  }
}

/**
 * Builds llama-server unless a complete build of the same tag and commit is cached (the
 * commit is read from the bundle when git is available).
 * Returns `{ binaryPath, tag, commit, built, buildSeconds, bytes }`.
 */
export async function buildLlamaServer(options = {}) {
  const log = options.log ?? defaultLog;
  const jobs = options.jobs ?? (Number(process.env.COPYFORGE_BUILD_JOBS) || 2);
  const { tag, bundlePath } = llamaCppSource(options.root);
  const home = buildHome(tag);
  const binaryPath = llamaServerBinaryPath(tag);

  // The tag is node-llama-cpp's name for its bundle; the bundle's commit says whether the source changed.
  const bundleCommit = readBundleCommit(bundlePath);
  const cached = readBuildRecord(tag);
  if (cached && bundleCommit && cached.commit !== bundleCommit) {
    log(`the cached build is of commit ${cached.commit}, the bundle holds ${bundleCommit}: rebuilding`);
  } else if (cached && !options.force) {
    log(`using the cached build of ${tag} (${binaryPath})`);
    return { ...cached, built: false };
  }

  const toolchain = checkToolchain();
  fs.mkdirSync(home, { recursive: true });
  const release = await acquireLock(path.join(home, 'build.lock'), log);
  try {
    // Another process may have finished the build while this one waited for the lock.
    const finished = readBuildRecord(tag);
    if (finished && !options.force && (!bundleCommit || finished.commit === bundleCommit)) {
      return { ...finished, built: false };
    }

    const started = Date.now();
    const sourceDirectory = path.join(home, 'source');
    const buildDirectory = path.join(home, 'build');
    fs.rmSync(sourceDirectory, { recursive: true, force: true });
    fs.rmSync(path.join(home, 'build.json'), { force: true });

    log(`unpacking llama.cpp ${tag} from ${path.relative(process.cwd(), bundlePath) || bundlePath}`);
    await run('git', ['clone', '--quiet', bundlePath, sourceDirectory], { cwd: home, log, label: 'git clone' });
    const commit = spawnSync('git', ['rev-parse', 'HEAD'], { cwd: sourceDirectory, encoding: 'utf8' }).stdout.trim();

    const generator = toolchain.ninja ? ['-G', 'Ninja'] : [];
    log(
      `configuring (${toolchain.cmake.version}; ${toolchain.compiler.version}; ${toolchain.ninja ? 'ninja' : 'make'})`,
    );
    await run('cmake', ['-S', sourceDirectory, '-B', buildDirectory, ...generator, ...CMAKE_OPTIONS], {
      cwd: home,
      log,
      label: 'cmake configure',
    });

    log(`compiling the llama-server target with ${jobs} jobs (about 10-20 minutes on 2 cores)`);
    const compileStarted = Date.now();
    await run(
      'cmake',
      ['--build', buildDirectory, '--config', 'Release', '--target', 'llama-server', '--parallel', String(jobs)],
      { cwd: home, log, label: 'compile' },
    );
    log(`compiled in ${seconds(Date.now() - compileStarted)}`);

    const builtBinary = path.join(buildDirectory, 'bin', path.basename(binaryPath));
    if (!fs.existsSync(builtBinary)) throw new BuildError(`The build finished but ${builtBinary} is missing`);
    fs.mkdirSync(path.dirname(binaryPath), { recursive: true });
    fs.copyFileSync(builtBinary, `${binaryPath}.partial`);
    fs.chmodSync(`${binaryPath}.partial`, 0o755);
    fs.renameSync(`${binaryPath}.partial`, binaryPath);

    const probe = spawnSync(binaryPath, ['--version'], { encoding: 'utf8' });
    if (probe.error || probe.status !== 0) {
      throw new BuildError(`The built binary does not run: ${probe.error?.message ?? probe.stderr}`);
    }

    const record = {
      tag,
      commit,
      binaryPath,
      bytes: fs.statSync(binaryPath).size,
      buildSeconds: Math.round((Date.now() - started) / 100) / 10,
      jobs,
      cmakeOptions: CMAKE_OPTIONS,
      compiler: toolchain.compiler.version,
      builtAt: new Date().toISOString(),
      version: `${probe.stdout}${probe.stderr}`.trim().split('\n').at(-2) ?? '',
    };
    fs.writeFileSync(path.join(home, 'build.json'), `${JSON.stringify(record, null, 2)}\n`);
    if (!options.keepBuildTree) {
      fs.rmSync(sourceDirectory, { recursive: true, force: true });
      fs.rmSync(buildDirectory, { recursive: true, force: true });
    }
    log(`built ${binaryPath} (${(record.bytes / 1e6).toFixed(1)} MB) in ${seconds(Date.now() - started)}`);
    return { ...record, built: true };
  } finally {
    release();
  }
}

async function main(argv) {
  const force = argv.includes('--force');
  const jobsIndex = argv.indexOf('--jobs');
  const jobs = jobsIndex >= 0 ? Number(argv[jobsIndex + 1]) : undefined;
  if (jobs !== undefined && !(Number.isInteger(jobs) && jobs > 0))
    throw new BuildError('--jobs needs a positive integer');
  if (argv.includes('--print')) {
    const record = readBuildRecord();
    if (!record) {
      console.error('no cached llama-server build; run: node scripts/llama-server/build.mjs');
      return 1;
    }
    console.log(record.binaryPath);
    return 0;
  }
  const result = await buildLlamaServer({ force, jobs, keepBuildTree: argv.includes('--keep-build-tree') });
  console.log(result.binaryPath);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (error) => {
      console.error(error instanceof BuildError ? `[llama-server] ${error.message}` : error);
      process.exitCode = 1;
    },
  );
}
