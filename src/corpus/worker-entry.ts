// Entry of a cleaning worker thread: receives batches of raw items, returns BatchResults.
// Built as its own file (`corpus-worker.js`) next to the bundle that spawns it.
import { parentPort, workerData } from 'node:worker_threads';
import { BatchProcessor, type CleanStageOptions } from './processor.js';
import type { RawItem } from './records.js';

if (parentPort) {
  const port = parentPort;
  const processor = new BatchProcessor((workerData as { options: CleanStageOptions }).options);
  port.on('message', (message: { id: number; items: RawItem[] }) => {
    try {
      const result = processor.process(message.items);
      port.postMessage({ id: message.id, result }, [result.exactKeys.buffer, result.signatures.buffer] as never);
    } catch (error) {
      port.postMessage({
        id: message.id,
        error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
      });
    }
  });
}
