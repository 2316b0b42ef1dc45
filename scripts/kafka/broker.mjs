#!/usr/bin/env node
// Local single-node Apache Kafka broker (KRaft mode) for tests and development.
//
//   node scripts/kafka/broker.mjs start     fetch the jars if needed, wipe the data, start, wait until ready
//   node scripts/kafka/broker.mjs restart   stop, then start again keeping topics and committed offsets
//   node scripts/kafka/broker.mjs stop      SIGTERM (then SIGKILL after 15 s) the broker's process group
//   node scripts/kafka/broker.mjs status    print whether it runs; exit code 0 when running, 1 when not
//   node scripts/kafka/broker.mjs fetch     only fetch the jars (add --force to fetch them again)
//
// The broker runs from Kafka's Maven Central jars (listed in pom.xml next to this file) on the
// installed Java, so it needs Java 17 and Maven: apt-get install openjdk-17-jre-headless maven.
//
// Environment:
//   COPYFORGE_CACHE                   cache folder (default $XDG_CACHE_HOME/copyforge, else ~/.cache/copyforge)
//   COPYFORGE_KAFKA_PORT              client port on 127.0.0.1 (default 19092)
//   COPYFORGE_KAFKA_CONTROLLER_PORT   KRaft controller port (default client port + 1)
//
// Layout under the cache folder:
//   kafka/<version>/libs/             the jars, fetched once (kafka/<version>/fetched.json marks a complete fetch)
//   kafka/run/<port>/                 server.properties, log4j.properties, broker.pid, broker.log, data/
//
// Plain Node ESM with only built-in modules, so it runs before the project is installed or built.

import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stripVTControlCharacters } from 'node:util';

const scriptDirectory = path.dirname(fileURLToPath(import.meta.url));
const pomPath = path.join(scriptDirectory, 'pom.xml');

/** Kafka version, read from pom.xml so the two never disagree. */
export const KAFKA_VERSION = readKafkaVersion();

export const DEFAULT_PORT = 19092;
const DEFAULT_START_TIMEOUT_MS = 90_000;
const STOP_GRACE_MS = 15_000;
const INSTALL_HINT =
  'Java 17 + Maven are needed to run the local Kafka broker: apt-get install openjdk-17-jre-headless maven';

/** An expected failure: the CLI prints its message without a stack trace. */
export class BrokerError extends Error {
  name = 'BrokerError';
}

function readKafkaVersion() {
  const pom = fs.readFileSync(pomPath, 'utf8');
  const match = /<kafka\.version>\s*([^<\s]+)\s*<\/kafka\.version>/.exec(pom);
  if (!match) throw new Error(`No <kafka.version> property in ${pomPath}`);
  return match[1];
}

function defaultLog(message) {
  console.error(`[kafka] ${message}`);
}

function seconds(milliseconds) {
  return `${(milliseconds / 1000).toFixed(1)} s`;
}

// ---------------------------------------------------------------------------
// Paths and ports

export function cacheDirectory() {
  if (process.env.COPYFORGE_CACHE) return path.resolve(process.env.COPYFORGE_CACHE);
  const cacheHome = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cacheHome, 'copyforge');
}

function kafkaHome() {
  return path.join(cacheDirectory(), 'kafka', KAFKA_VERSION);
}

function parsePort(value, name) {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new BrokerError(`${name} must be a port number between 1 and 65535, got "${value}"`);
  }
  return port;
}

/** Ports, folders and files of the broker for the given options (or the environment). */
export function brokerPaths(options = {}) {
  const port = parsePort(options.port ?? process.env.COPYFORGE_KAFKA_PORT ?? DEFAULT_PORT, 'COPYFORGE_KAFKA_PORT');
  const controllerPort = parsePort(
    options.controllerPort ?? process.env.COPYFORGE_KAFKA_CONTROLLER_PORT ?? port + 1,
    'COPYFORGE_KAFKA_CONTROLLER_PORT',
  );
  if (controllerPort === port) throw new BrokerError('The controller port must differ from the client port');
  const runDirectory = path.join(cacheDirectory(), 'kafka', 'run', String(port));
  return {
    port,
    controllerPort,
    brokers: `127.0.0.1:${port}`,
    runDirectory,
    dataDirectory: path.join(runDirectory, 'data'),
    serverProperties: path.join(runDirectory, 'server.properties'),
    log4jProperties: path.join(runDirectory, 'log4j.properties'),
    pidFile: path.join(runDirectory, 'broker.pid'),
    logFile: path.join(runDirectory, 'broker.log'),
  };
}

// ---------------------------------------------------------------------------
// Tools: java and mvn

function findOnPath(name) {
  for (const directory of (process.env.PATH || '').split(path.delimiter)) {
    if (!directory) continue;
    const candidate = path.join(directory, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      if (fs.statSync(candidate).isFile()) return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

function findJava() {
  const fromJavaHome = process.env.JAVA_HOME && path.join(process.env.JAVA_HOME, 'bin', 'java');
  const java = fromJavaHome && fs.existsSync(fromJavaHome) ? fromJavaHome : findOnPath('java');
  if (!java) throw new BrokerError(`No "java" found on PATH. ${INSTALL_HINT}`);
  // `java -version` prints e.g. `openjdk version "17.0.15" 2025-04-15` (or "1.8.0_392" for Java 8).
  const result = spawnSync(java, ['-version'], { encoding: 'utf8' });
  const match = /version "(?:1\.)?(\d+)/.exec(`${result.stderr}${result.stdout}`);
  const major = match ? Number(match[1]) : 0;
  if (major < 11) {
    throw new BrokerError(
      `${java} is not Java 11 or newer (${match ? `Java ${major}` : 'version unknown'}). ${INSTALL_HINT}`,
    );
  }
  return java;
}

function findMaven() {
  const maven = findOnPath('mvn');
  if (!maven) throw new BrokerError(`No "mvn" found on PATH. ${INSTALL_HINT}`);
  return maven;
}

/** Runs a command to completion, collecting its output. */
function runCommand(command, commandArguments, options = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, commandArguments, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, output }));
  });
}

// ---------------------------------------------------------------------------
// Fetching the jars

/**
 * Makes sure the broker's jars are in <cache>/kafka/<version>/libs, copying them from
 * Maven Central with Maven when missing or incomplete.
 * @returns {Promise<{ libsDirectory: string, fetched: boolean }>}
 */
export async function fetchKafka(options = {}) {
  const log = options.log ?? defaultLog;
  const home = kafkaHome();
  const libsDirectory = path.join(home, 'libs');
  const markerFile = path.join(home, 'fetched.json');
  const brokerJar = path.join(libsDirectory, `kafka_2.13-${KAFKA_VERSION}.jar`);

  if (!options.force && fs.existsSync(markerFile) && fs.existsSync(brokerJar)) {
    return { libsDirectory, fetched: false };
  }

  const maven = findMaven();
  findJava(); // Maven needs Java too; fail early with the same hint.
  log(`Fetching Apache Kafka ${KAFKA_VERSION} jars from Maven Central into ${libsDirectory} ...`);
  const startedAt = Date.now();

  // Copy into a temporary folder first: an interrupted fetch never looks complete.
  fs.mkdirSync(home, { recursive: true });
  fs.rmSync(markerFile, { force: true });
  const partialDirectory = `${libsDirectory}.partial-${process.pid}`;
  fs.rmSync(partialDirectory, { recursive: true, force: true });
  const result = await runCommand(maven, [
    '--batch-mode',
    '--quiet',
    '-Dstyle.color=never',
    '--file',
    pomPath,
    'dependency:copy-dependencies',
    `-DoutputDirectory=${partialDirectory}`,
    '-DincludeScope=runtime',
  ]);
  const jars = fs.existsSync(partialDirectory)
    ? fs.readdirSync(partialDirectory).filter((name) => name.endsWith('.jar'))
    : [];
  if (result.code !== 0 || !jars.includes(path.basename(brokerJar))) {
    fs.rmSync(partialDirectory, { recursive: true, force: true });
    const mavenOutput = stripVTControlCharacters(result.output).trim();
    throw new BrokerError(
      `Fetching the Kafka ${KAFKA_VERSION} jars with Maven failed (exit code ${result.code}):\n${mavenOutput || '(no output)'}`,
    );
  }
  fs.rmSync(libsDirectory, { recursive: true, force: true });
  fs.renameSync(partialDirectory, libsDirectory);
  fs.writeFileSync(
    markerFile,
    `${JSON.stringify({ version: KAFKA_VERSION, jars: jars.length, fetchedAt: new Date().toISOString() }, null, 2)}\n`,
  );
  log(`Fetched ${jars.length} jars in ${seconds(Date.now() - startedAt)}`);
  return { libsDirectory, fetched: true };
}

// ---------------------------------------------------------------------------
// Talking to the broker: raw Kafka protocol requests over TCP

/**
 * Sends one Kafka request (header v1: api key, api version, correlation id, client id) and
 * resolves with the response body after the correlation id.
 */
function kafkaRequest(port, apiKey, apiVersion, body, timeoutMs = 2000) {
  return new Promise((resolve, reject) => {
    const clientId = Buffer.from('copyforge-broker-script');
    const correlationId = 1;
    const header = Buffer.alloc(10);
    header.writeInt16BE(apiKey, 0);
    header.writeInt16BE(apiVersion, 2);
    header.writeInt32BE(correlationId, 4);
    header.writeInt16BE(clientId.length, 8);
    const size = Buffer.alloc(4);
    size.writeInt32BE(header.length + clientId.length + body.length);

    let received = Buffer.alloc(0);
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(timeoutMs, () => socket.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    socket.on('connect', () => socket.write(Buffer.concat([size, header, clientId, body])));
    socket.on('data', (chunk) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      const responseSize = received.readInt32BE(0);
      if (received.length < 4 + responseSize) return;
      socket.destroy();
      if (responseSize < 4 || received.readInt32BE(4) !== correlationId) {
        reject(new Error('not a Kafka response'));
      } else {
        resolve(received.subarray(8, 4 + responseSize));
      }
    });
    socket.on('error', reject);
    socket.on('close', () => reject(new Error('connection closed before a full response')));
  });
}

/**
 * Asks the broker on 127.0.0.1:<port> whether it is ready for clients:
 * ApiVersions v0 must answer without error, and Metadata v1 must list at least one broker
 * (a KRaft broker lists itself only once it is registered with the controller and unfenced,
 * which is when topics can be created on it).
 * @returns {Promise<{ answering: boolean, ready: boolean, apiCount?: number, brokerCount?: number, error?: string }>}
 */
export async function probeBroker(port) {
  let apiCount;
  try {
    // ApiVersions v0 (api key 18), empty body. Response: error_code int16, api_keys array.
    const apiVersions = await kafkaRequest(port, 18, 0, Buffer.alloc(0));
    const errorCode = apiVersions.readInt16BE(0);
    if (errorCode !== 0) return { answering: false, ready: false, error: `ApiVersions error code ${errorCode}` };
    apiCount = apiVersions.readInt32BE(2);
  } catch (error) {
    return { answering: false, ready: false, error: error.message };
  }
  try {
    // Metadata v1 (api key 3) for no topics (empty array): brokers array comes first in the response.
    const topics = Buffer.alloc(4); // int32 0: an empty topic list
    const metadata = await kafkaRequest(port, 3, 1, topics);
    const brokerCount = metadata.readInt32BE(0);
    return { answering: true, ready: brokerCount > 0, apiCount, brokerCount };
  } catch (error) {
    return { answering: true, ready: false, apiCount, error: error.message };
  }
}

// ---------------------------------------------------------------------------
// Processes

const hasProcFileSystem = fs.existsSync('/proc/self/stat');

function isProcessAlive(pid) {
  try {
    process.kill(pid, 0);
  } catch (error) {
    if (error.code !== 'EPERM') return false;
  }
  // An exited process stays a zombie until its parent reaps it: treat it as gone. But a JVM's
  // main thread can show as a zombie while its other threads still shut down, so only a zombie
  // without any other thread counts as gone.
  if (!hasProcFileSystem) return true; // not Linux: trust kill(pid, 0)
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2)[0];
    return state !== 'Z' || fs.readdirSync(`/proc/${pid}/task`).length > 1;
  } catch {
    return false; // gone meanwhile
  }
}

/** Whether <pid> is the Kafka JVM started with this run folder's server.properties. */
function isOurBroker(pid, paths) {
  if (!isProcessAlive(pid)) return false;
  if (!hasProcFileSystem) return true; // not Linux: trust the pid file
  try {
    const commandLine = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return commandLine.includes('kafka.Kafka') && commandLine.includes(paths.serverProperties);
  } catch {
    return false;
  }
}

function readPid(paths) {
  try {
    const pid = Number(fs.readFileSync(paths.pidFile, 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** The pid from the pid file when it is our running broker; removes a stale pid file. */
function runningBrokerPid(paths) {
  const pid = readPid(paths);
  if (pid === undefined) return undefined;
  if (isOurBroker(pid, paths)) return pid;
  fs.rmSync(paths.pidFile, { force: true });
  return undefined;
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal); // the broker was started detached: it leads its own process group
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

function isPortFree(port) {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

function sleep(milliseconds) {
  return new Promise((resolve) => setTimeout(resolve, milliseconds));
}

function logTail(paths, lineCount = 40) {
  try {
    const lines = fs.readFileSync(paths.logFile, 'utf8').trimEnd().split('\n');
    return lines.slice(-lineCount).join('\n');
  } catch {
    return '(no broker log)';
  }
}

// ---------------------------------------------------------------------------
// Configuration

/** A Kafka cluster id: 16 random bytes in URL-safe base64 without padding, like `StorageTool random-uuid`. */
function randomClusterId() {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id; // Kafka never hands out ids starting with "-" (they read as options)
  }
}

function serverPropertiesText(paths) {
  return `# Written by scripts/kafka/broker.mjs on every start; edits are overwritten.
# Single node acting as both KRaft controller and broker.
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:${paths.controllerPort}
listeners=PLAINTEXT://127.0.0.1:${paths.port},CONTROLLER://127.0.0.1:${paths.controllerPort}
advertised.listeners=PLAINTEXT://127.0.0.1:${paths.port}
controller.listener.names=CONTROLLER
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
inter.broker.listener.name=PLAINTEXT
log.dirs=${paths.dataDirectory}

# One broker: every internal topic has a single replica.
offsets.topic.replication.factor=1
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
default.replication.factor=1
min.insync.replicas=1

# Test-friendly: consumer groups start at once, topics appear on first use, and the internal
# topics have one partition each (the defaults of 50 partitions slow the first group or transaction).
group.initial.rebalance.delay.ms=0
auto.create.topics.enable=true
num.partitions=1
offsets.topic.num.partitions=1
transaction.state.log.num.partitions=1

# Small memory footprint: the log cleaner's dedupe buffer is 128 MB by default.
log.cleaner.dedupe.buffer.size=16777216
num.network.threads=2
num.io.threads=4
`;
}

const LOG4J_PROPERTIES = `# Written by scripts/kafka/broker.mjs: everything goes to stdout, which is broker.log.
log4j.rootLogger=INFO, stdout
log4j.appender.stdout=org.apache.log4j.ConsoleAppender
log4j.appender.stdout.layout=org.apache.log4j.PatternLayout
log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.state.change.logger=WARN
log4j.logger.org.apache.kafka.clients.NetworkClient=WARN
`;

// ---------------------------------------------------------------------------
// Start, stop, status

/**
 * Starts the broker (fetching the jars first when needed) and resolves once it is ready for clients.
 * If our broker already runs on that port and answers, resolves at once with `alreadyRunning: true`
 * (its data is then left as it is).
 * @param {{ port?: number, controllerPort?: number, wipe?: boolean, timeoutMs?: number, log?: (message: string) => void }} options
 *   wipe (default true): delete the data folder and format a new cluster; false keeps topics and offsets.
 * @returns {Promise<{ brokers: string, port: number, controllerPort: number, pid: number, alreadyRunning: boolean, logFile: string }>}
 */
export async function startBroker(options = {}) {
  const log = options.log ?? defaultLog;
  const timeoutMs = options.timeoutMs ?? DEFAULT_START_TIMEOUT_MS;
  const paths = brokerPaths(options);
  return withStartLock(paths, { log, timeoutMs }, () => startUnlocked(paths, { ...options, log, timeoutMs }));
}

/**
 * Runs `action` while holding <run folder>/start.lock, so that concurrent starts on one port
 * (say two test runs at once) take turns: the second one then finds the first one's broker running.
 */
async function withStartLock(paths, { log, timeoutMs }, action) {
  fs.mkdirSync(paths.runDirectory, { recursive: true });
  const lockFile = path.join(paths.runDirectory, 'start.lock');
  const deadline = Date.now() + timeoutMs;
  let waitingAnnounced = false;
  for (;;) {
    try {
      fs.writeFileSync(lockFile, `${process.pid}\n`, { flag: 'wx' });
      break;
    } catch (error) {
      if (error.code !== 'EEXIST') throw error;
    }
    let ownerPid;
    let ageMs = 0;
    try {
      ownerPid = Number(fs.readFileSync(lockFile, 'utf8').trim());
      ageMs = Date.now() - fs.statSync(lockFile).mtimeMs;
    } catch {
      continue; // released meanwhile
    }
    // Stale: its owner is gone (or it never got a pid written into it).
    if (ownerPid > 0 ? !isProcessAlive(ownerPid) : ageMs > 10_000) {
      fs.rmSync(lockFile, { force: true });
      continue;
    }
    if (!waitingAnnounced) {
      log(`Another start on port ${paths.port} is in progress (pid ${ownerPid}); waiting for it ...`);
      waitingAnnounced = true;
    }
    if (Date.now() > deadline) {
      throw new BrokerError(`Gave up waiting for ${lockFile} (held by pid ${ownerPid}) after ${seconds(timeoutMs)}`);
    }
    await sleep(200);
  }
  try {
    return await action();
  } finally {
    fs.rmSync(lockFile, { force: true });
  }
}

async function startUnlocked(paths, options) {
  const { log, timeoutMs } = options;
  const wipe = options.wipe ?? true;
  const result = (pid, alreadyRunning) => ({
    brokers: paths.brokers,
    port: paths.port,
    controllerPort: paths.controllerPort,
    pid,
    alreadyRunning,
    logFile: paths.logFile,
  });

  // Already running from our pid file? Reuse it (waiting in case another start is still in progress).
  const existingPid = runningBrokerPid(paths);
  if (existingPid !== undefined) {
    if (!(await probeBroker(paths.port)).ready) {
      log(`Broker process ${existingPid} is running but not ready yet; waiting ...`);
      await waitUntilReady(paths, { pid: existingPid, timeoutMs, hasExited: () => !isProcessAlive(existingPid) });
    }
    log(`Kafka broker already running on ${paths.brokers} (pid ${existingPid})`);
    return result(existingPid, true);
  }

  // Is something else using our ports?
  for (const [name, port] of [
    ['client', paths.port],
    ['controller', paths.controllerPort],
  ]) {
    if (!(await isPortFree(port))) {
      const speaksKafka = (await probeBroker(port)).answering ? ' (a Kafka broker not started by this script)' : '';
      throw new BrokerError(
        `Port ${port} (${name} port) on 127.0.0.1 is already in use by another process${speaksKafka}. ` +
          'Stop it, or pick other ports with COPYFORGE_KAFKA_PORT / COPYFORGE_KAFKA_CONTROLLER_PORT.',
      );
    }
  }

  const { libsDirectory } = await fetchKafka({ log });
  const java = findJava();
  const classPath = path.join(libsDirectory, '*'); // Java expands the wildcard itself
  const startedAt = Date.now();

  // Configuration, written on every start (ports may have changed).
  fs.mkdirSync(paths.runDirectory, { recursive: true });
  fs.writeFileSync(paths.serverProperties, serverPropertiesText(paths));
  fs.writeFileSync(paths.log4jProperties, LOG4J_PROPERTIES);
  if (fs.existsSync(paths.logFile)) fs.renameSync(paths.logFile, `${paths.logFile}.previous`);

  // Fresh storage unless asked to keep it (a KRaft data folder must be formatted before first use).
  const formatted = fs.existsSync(path.join(paths.dataDirectory, 'meta.properties'));
  if (wipe || !formatted) {
    fs.rmSync(paths.dataDirectory, { recursive: true, force: true });
    const format = await runCommand(java, [
      ...fastStartJavaOptions(),
      '-cp',
      classPath,
      `-Dlog4j.configuration=file:${paths.log4jProperties}`,
      'kafka.tools.StorageTool',
      'format',
      '--cluster-id',
      randomClusterId(),
      '--config',
      paths.serverProperties,
    ]);
    if (format.code !== 0) {
      throw new BrokerError(`Formatting the Kafka storage in ${paths.dataDirectory} failed:\n${format.output.trim()}`);
    }
  } else {
    log(`Keeping the data in ${paths.dataDirectory}`);
  }

  // The JVM runs detached in its own process group, its output appended to broker.log.
  const logDescriptor = fs.openSync(paths.logFile, 'a');
  const javaArguments = [
    '-Xms256m',
    '-Xmx512m',
    ...fastStartJavaOptions(),
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${paths.log4jProperties}`,
    `-Dkafka.logs.dir=${paths.runDirectory}`,
    '-cp',
    classPath,
    'kafka.Kafka',
    paths.serverProperties,
  ];
  const child = spawn(java, javaArguments, {
    cwd: paths.runDirectory,
    detached: true,
    stdio: ['ignore', logDescriptor, logDescriptor],
  });
  fs.closeSync(logDescriptor);
  let exitDescription;
  child.on('exit', (code, signal) => (exitDescription = signal ? `signal ${signal}` : `exit code ${code}`));
  child.on('error', (error) => (exitDescription = error.message));
  if (child.pid === undefined) {
    await sleep(0); // let the 'error' event arrive
    throw new BrokerError(`Could not start ${java}: ${exitDescription}`);
  }
  child.unref();
  fs.writeFileSync(paths.pidFile, `${child.pid}\n`);
  log(`Starting Kafka ${KAFKA_VERSION} on ${paths.brokers} (pid ${child.pid}, log ${paths.logFile}) ...`);

  try {
    await waitUntilReady(paths, { pid: child.pid, timeoutMs, hasExited: () => exitDescription });
  } catch (error) {
    signalGroup(child.pid, 'SIGKILL');
    fs.rmSync(paths.pidFile, { force: true });
    throw error;
  }
  log(`Kafka broker ready on ${paths.brokers} (pid ${child.pid}) in ${seconds(Date.now() - startedAt)}`);
  return result(child.pid, false);
}

/** JVM options that shorten start-up; a test broker never runs long enough to need C2-compiled code. */
function fastStartJavaOptions() {
  return ['-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', '-Xshare:auto'];
}

async function waitUntilReady(paths, { pid, timeoutMs, hasExited }) {
  const deadline = Date.now() + timeoutMs;
  let lastProbe;
  for (;;) {
    const exited = hasExited();
    if (exited) {
      throw new BrokerError(
        `The Kafka broker (pid ${pid}) stopped during start-up (${exited === true ? 'process gone' : exited}). ` +
          `Last lines of ${paths.logFile}:\n${logTail(paths)}`,
      );
    }
    lastProbe = await probeBroker(paths.port);
    if (lastProbe.ready) return;
    if (Date.now() > deadline) {
      const state = lastProbe.answering
        ? 'answers but has not registered itself as a broker'
        : `does not answer (${lastProbe.error})`;
      throw new BrokerError(
        `The Kafka broker on ${paths.brokers} (pid ${pid}) was not ready after ${seconds(timeoutMs)}: it ${state}. ` +
          `Last lines of ${paths.logFile}:\n${logTail(paths)}`,
      );
    }
    await sleep(250);
  }
}

/**
 * Stops our broker on that port: SIGTERM to its process group, SIGKILL after 15 s. Keeps its data.
 * @returns {Promise<{ stopped: boolean, pid?: number }>} stopped is false when it was not running.
 */
export async function stopBroker(options = {}) {
  const log = options.log ?? defaultLog;
  const paths = brokerPaths(options);
  const pid = runningBrokerPid(paths);
  if (pid === undefined) {
    log(`No Kafka broker from this script is running on ${paths.brokers}`);
    return { stopped: false };
  }
  const startedAt = Date.now();
  log(`Stopping the Kafka broker on ${paths.brokers} (pid ${pid}) ...`);
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + (options.graceMs ?? STOP_GRACE_MS);
  while (isProcessAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isProcessAlive(pid)) {
    log(`Still running after ${seconds(Date.now() - startedAt)}; sending SIGKILL`);
    signalGroup(pid, 'SIGKILL');
    while (isProcessAlive(pid)) await sleep(100);
  }
  fs.rmSync(paths.pidFile, { force: true });
  log(`Stopped in ${seconds(Date.now() - startedAt)}`);
  return { stopped: true, pid };
}

/**
 * Whether our broker runs on that port, and whether it is ready for clients.
 * @returns {Promise<{ running: boolean, ready: boolean, pid?: number, brokers: string, logFile: string }>}
 */
export async function brokerStatus(options = {}) {
  const paths = brokerPaths(options);
  const pid = runningBrokerPid(paths);
  const ready = pid !== undefined && (await probeBroker(paths.port)).ready;
  return { running: pid !== undefined, ready, pid, brokers: paths.brokers, logFile: paths.logFile };
}

// ---------------------------------------------------------------------------
// Command line

const USAGE = 'Usage: node scripts/kafka/broker.mjs start|restart|stop|status|fetch [--force]';

async function main(commandArguments) {
  const [command, ...flags] = commandArguments;
  switch (command) {
    case 'start':
      await startBroker({ wipe: true });
      return 0;
    case 'restart':
      await stopBroker();
      await startBroker({ wipe: false });
      return 0;
    case 'stop':
      await stopBroker();
      return 0;
    case 'status': {
      const status = await brokerStatus();
      if (!status.running) {
        console.log(`Kafka broker: not running on ${status.brokers}`);
        return 1;
      }
      const readiness = status.ready ? 'ready' : 'not answering yet';
      console.log(
        `Kafka broker: running on ${status.brokers} (pid ${status.pid}, ${readiness}); log ${status.logFile}`,
      );
      return 0;
    }
    case 'fetch': {
      const { libsDirectory, fetched } = await fetchKafka({ force: flags.includes('--force') });
      if (!fetched) defaultLog(`Kafka ${KAFKA_VERSION} jars already in ${libsDirectory}`);
      return 0;
    }
    default:
      console.error(USAGE);
      return 2;
  }
}

function isMainModule() {
  try {
    return fs.realpathSync(process.argv[1]) === fs.realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isMainModule()) {
  main(process.argv.slice(2)).then(
    (exitCode) => process.exit(exitCode),
    (error) => {
      console.error(error instanceof BrokerError ? `[kafka] ${error.message}` : error);
      process.exit(1);
    },
  );
}
