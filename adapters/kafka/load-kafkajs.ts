import { CopyForgeError } from '../../src/core/errors.js';

/** The kafkajs module, loaded on demand. */
export type KafkaJsModule = typeof import('kafkajs');

let loading: Promise<KafkaJsModule> | undefined;

/**
 * Loads kafkajs with `import()`, once. Throws `CF_DEPENDENCY_MISSING` with the install
 * command when it is not installed.
 */
export function loadKafkaJs(): Promise<KafkaJsModule> {
  loading ??= import('kafkajs').then(
    (module) => ((module as { default?: KafkaJsModule }).default ?? module) as KafkaJsModule,
    (error: unknown) => {
      loading = undefined;
      throw new CopyForgeError('CF_DEPENDENCY_MISSING', 'The Kafka adapter needs kafkajs: npm install kafkajs@2.2.4', {
        cause: error,
      });
    },
  );
  return loading;
}
