import { createKafkaWorker } from '../../../adapters/kafka/worker.js';
import { createForge } from '../../generation/forge.js';
import type { CliCommand } from '../command.js';
import {
  backendOptions,
  backendUsage,
  buildRewardModelSources,
  createBackendFromOptions,
  numberOption,
  stringOption,
} from '../options.js';
import { workerConfigFromFlag } from '../worker-config.js';
import { defaultRewardModelNames } from './generate.js';

const usage = [
  'Usage: copyforge kafka [--config worker.json] --brokers host:port[,host:port] [--group-id copyforge]',
  '                       [--input-topic notes.new] [--output-topic creatives.scored] [--dead-letter-topic notes.dlq]',
  '                       [--exactly-once] [--max-in-flight 2] [--titles 12]',
  '                       [--rm usability|<package>|<path>|none ...] [backend flags] [--quiet]',
  '',
  'Consumes NoteEvent JSON, writes one CreativesEvent per note keyed by note id, and sends bad',
  'events to the dead-letter topic with the reason in headers. SIGTERM/SIGINT stop fetching, finish',
  'in-flight notes within 30 s, commit and disconnect. Run more workers with the same --group-id to',
  'scale out. Brokers default to $KAFKA_BROKERS.',
  '',
  '--config reads the same settings from a JSON file (schema: copyforge/schemas/worker-config.schema.json;',
  'see docs/kafka.md). Flags win over the environment ($KAFKA_BROKERS, $COPYFORGE_BACKEND,',
  '$COPYFORGE_BASE_URL), the environment over the file; the API key only ever comes from the environment.',
  '',
  backendUsage,
].join('\n');

/** `copyforge kafka`: the streaming worker. */
export const kafkaCommand: CliCommand = {
  name: 'kafka',
  summary: 'run the Kafka worker: note events in, scored creatives out',
  usage,
  options: {
    config: { type: 'string' },
    brokers: { type: 'string' },
    'group-id': { type: 'string' },
    'input-topic': { type: 'string' },
    'output-topic': { type: 'string' },
    'dead-letter-topic': { type: 'string' },
    'exactly-once': { type: 'boolean' },
    'max-in-flight': { type: 'string' },
    titles: { type: 'string' },
    rm: { type: 'string', multiple: true },
    quiet: { type: 'boolean' },
    ...backendOptions,
  },
  async run(flags) {
    const values = { ...(await workerConfigFromFlag(stringOption(flags, 'config'))), ...flags };
    const brokers = (stringOption(values, 'brokers') ?? process.env.KAFKA_BROKERS ?? '').split(',').filter(Boolean);
    if (brokers.length === 0) {
      console.error(`copyforge kafka: --brokers (or KAFKA_BROKERS) is required.\n\n${usage}`);
      return 2;
    }
    const rewardModels = await buildRewardModelSources(values, await defaultRewardModelNames());
    const backend = await createBackendFromOptions(values);
    const forge = createForge({ backend, rewardModels, titlesPerNote: numberOption(values, 'titles') ?? 12 });
    const worker = createKafkaWorker({
      brokers,
      groupId: stringOption(values, 'group-id') ?? 'copyforge',
      inputTopic: stringOption(values, 'input-topic'),
      outputTopic: stringOption(values, 'output-topic'),
      deadLetterTopic: stringOption(values, 'dead-letter-topic'),
      delivery: values['exactly-once'] ? 'exactly-once' : 'at-least-once',
      maxInFlight: numberOption(values, 'max-in-flight') ?? 2,
      forge,
    });
    if (!values.quiet) {
      worker.events.on('kafka.message-processed', ({ payload }) =>
        console.error(`processed ${payload.noteId} (${payload.topic}/${payload.partition}@${payload.offset})`),
      );
      worker.events.on('kafka.message-dead-lettered', ({ payload }) =>
        console.error(`dead-lettered ${payload.topic}/${payload.partition}@${payload.offset}: ${payload.code}`),
      );
    }
    if (!values.quiet) {
      worker.events.on('kafka.consumer-crashed', ({ payload }) =>
        console.error(`consumer crashed (${payload.restarting ? 'restarting' : 'not restartable'}): ${payload.error}`),
      );
      worker.events.on('kafka.partition-released', ({ payload }) =>
        console.error(`let go of ${payload.topic}/${payload.partition}: ${payload.reason}`),
      );
    }
    await worker.start();
    console.error(`copyforge kafka: consuming from ${brokers.join(',')}`);
    let onSignal = () => {};
    const signalled = new Promise<void>((resolve) => {
      onSignal = () => resolve();
      process.once('SIGTERM', onSignal);
      process.once('SIGINT', onSignal);
    });
    // A consumer that crashed for good ends the worker: exit non-zero so an orchestrator restarts it.
    const crashed = await Promise.race([
      signalled.then(() => undefined),
      worker.done().then(
        () => undefined,
        (e) => e,
      ),
    ]);
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    if (crashed) {
      await forge.close();
      await backend.dispose?.();
      console.error(`copyforge kafka: stopped after a crash ${JSON.stringify(worker.metrics())}`);
      throw crashed;
    }
    console.error('copyforge kafka: stopping ...');
    await worker.stop({ deadlineMs: 30_000 });
    await forge.close();
    await backend.dispose?.();
    console.error(`copyforge kafka: stopped ${JSON.stringify(worker.metrics())}`);
    return 0;
  },
};
