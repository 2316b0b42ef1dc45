// `copyforge/kafka`: the Kafka adapter. kafkajs is loaded on demand, so importing the
// core never loads it.
export { type KafkaJsModule, loadKafkaJs } from './load-kafkajs.js';
export {
  buildCreativesRecord,
  buildDeadLetterRecord,
  formatTraceparent,
  headerNames,
  headerValue,
  type OutgoingRecord,
  parseTraceparent,
  type SourcePosition,
} from './messages.js';
export {
  createKafkaWorker,
  type KafkaWorker,
  type KafkaWorkerMetrics,
  type KafkaWorkerOptions,
} from './worker.js';
