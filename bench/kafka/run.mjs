// Benchmark of the Kafka adapter against a local broker started here on a private port
// (COPYFORGE_KAFKA_PORT, default 19292) and stopped at the end. Two modes:
//
// Throughput (bench/kafka/throughput.mjs -> bench/results/kafka.{json,md}): the same
// NoteEvents through
//   (a) createKafkaWorker (at-least-once, maxInFlight 2) over a forge with an instant mock
//       backend (titlesPerNote 2). The worker keeps up to maxInFlight notes generating per
//       partition and delivers the finished notes at the head of that window together: one
//       producer.sendBatch and one offset commit per group;
//   (b) the peer, a bare kafkajs consume -> produce pipe with the worker's delivery
//       settings (idempotent producer, acks -1, maxInFlightRequests 1) that does not group:
//       one send, one commit and one heartbeat per message. Target (a)/(b) >= 0.9;
//   (c) a bare kafkajs pipe that sends each fetched kafkajs batch in one sendBatch and commits
//       once past its last offset: the ceiling of a bare pipe (informational).
// Repetitions run a, b, c in rotating order; medians and per-repetition ratios are reported,
// with the forge alone (no Kafka) for scale, and every run's output records are counted.
//
// Latency (--latency; bench/kafka/latency.mjs -> bench/results/kafka-latency.{json,md}):
// createKafkaWorker over a forge on the real default GGUF model (llama.cpp, 2 threads,
// 2 sequences, usability reward model, 12 titles), fed closed-loop with 2 notes outstanding;
// end-to-end latency per note from the acknowledged produce to the CreativesEvent read by a
// read_committed consumer, next to the forge.generate time measured inside the worker.
//
// Memory (--memory; bench/kafka/memory.mjs -> bench/results/kafka-memory.{json,md}): peak
// RSS of the worker draining a pre-filled backlog of 2,000 and 20,000 events, each in a
// fresh process.
//
//   npm run build && node bench/kafka/run.mjs            # ~2–4 min
//   node bench/kafka/run.mjs --latency                   # ~5–10 min on 2 cores
//   node bench/kafka/run.mjs --delivery                  # exactly-once vs at-least-once, ~1 min
//
// Environment: BENCH_EVENTS (2000), BENCH_REPS (3), BENCH_LATENCY_NOTES (12), BENCH_LATENCY_PARTITIONS (3),
// COPYFORGE_KAFKA_PORT (19292), COPYFORGE_DIST, COPYFORGE_MODEL.
if (process.argv.includes('--latency')) {
  await import('./latency.mjs');
} else if (process.argv.includes('--memory')) {
  await import('./memory.mjs');
} else if (process.argv.includes('--delivery')) {
  await import('./delivery.mjs');
} else {
  await import('./throughput.mjs');
}
