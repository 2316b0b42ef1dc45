// A Kafka worker: note events in (notes.new), scored creatives out (creatives.scored), bad
// events to notes.dlq. Needs a broker: `npm run kafka:start` gives a local one on
// 127.0.0.1:19092 (or set KAFKA_BROKERS). Runs on the default in-process model.
// Run after `npm run build`: node examples/kafka-worker/index.mjs
import { createForge, llamaCppBackend } from 'copyforge';
import { createKafkaWorker } from 'copyforge/kafka';
import { Kafka, logLevel, Partitioners } from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:19092').split(',');
const suffix = Date.now().toString(36);
const topics = {
  inputTopic: `notes.new.${suffix}`,
  outputTopic: `creatives.scored.${suffix}`,
  deadLetterTopic: `notes.dlq.${suffix}`,
};

const backend = await llamaCppBackend({ model: 'default', threads: 2 });
const forge = createForge({ backend, titlesPerNote: 3 });
const worker = createKafkaWorker({
  brokers,
  groupId: `example-${suffix}`,
  ...topics,
  forge,
  kafka: { logLevel: logLevel.ERROR },
});
process.once('SIGTERM', () => worker.stop());
await worker.start();

// Act as an upstream system: one good event and one that is not JSON.
const kafka = new Kafka({ brokers, logLevel: logLevel.ERROR });
const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
await producer.connect();
const event = {
  schemaVersion: 1,
  eventId: 'event-1',
  occurredAt: new Date().toISOString(),
  note: {
    id: 'kafka-note-1',
    title: 'Cast iron pan',
    body: 'A 26cm cast iron skillet: eggs slide off, oven safe, $35.',
    lang: 'en',
  },
};
await producer.send({ topic: topics.inputTopic, messages: [{ value: JSON.stringify(event) }, { value: '{oops' }] });
await producer.disconnect();

// Act as a downstream consumer of both topics.
const consumer = kafka.consumer({ groupId: `example-reader-${suffix}` });
await consumer.connect();
await consumer.subscribe({ topics: [topics.outputTopic, topics.deadLetterTopic], fromBeginning: true });
let seen = 0;
await new Promise((resolve) => {
  consumer.run({
    eachMessage: async ({ topic, message }) => {
      if (topic === topics.outputTopic) {
        const output = JSON.parse(String(message.value));
        console.log(
          `creatives for ${output.noteId}: ${output.creatives.map((entry) => entry.creative.title).join(' | ')}`,
        );
      } else {
        console.log(
          `dead letter: ${message.headers['copyforge-error-code']} ${message.headers['copyforge-error-message']}`,
        );
      }
      if (++seen === 2) resolve();
    },
  });
});
await consumer.disconnect();
await worker.stop();
await backend.dispose();
console.log(JSON.stringify(worker.metrics()));
