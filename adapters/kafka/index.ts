// `copyforge/kafka`: the Kafka adapter. kafkajs is loaded on demand, so importing the
// core never loads it.
export { loadKafkaJs } from './load-kafkajs.js';
