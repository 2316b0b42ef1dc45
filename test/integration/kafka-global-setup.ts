// Vitest global setup for the Kafka integration tests: gives them a broker.
//
// - KAFKA_BROKERS already set: the tests use that cluster; nothing is started or stopped.
// - Otherwise: starts the local single-node broker of scripts/kafka/broker.mjs (Kafka 3.9 from
//   Maven Central jars, which needs Java 17 + Maven; port COPYFORGE_KAFKA_PORT, default 19092),
//   with fresh data, and stops it in teardown if this setup started it. A broker that was already
//   running (say from `npm run kafka:start`) is reused as it is and left running.
//
// How the tests learn the address (checked with vitest 3.2 and the `forks` and `threads` pools):
// global setup runs in the main vitest process before any test worker exists (with several
// projects too: every project's global setup runs before the first worker), and workers copy
// the main process's environment when they are created, so the variables set here reach the
// tests as plain process.env values:
//   KAFKA_BROKERS                 "127.0.0.1:<port>"
//   COPYFORGE_LOCAL_KAFKA_PORT    "<port>", only when the local broker is in use (the tests that
//                                 restart the broker call stopBroker/startBroker with this port)
//   COPYFORGE_KAFKA_PORT, COPYFORGE_KAFKA_CONTROLLER_PORT   the ports used, for broker.mjs calls in tests
// The address is also provided the documented way, as inject('kafkaBrokers') from 'vitest'.
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Comma-separated bootstrap brokers, as in KAFKA_BROKERS. */
    kafkaBrokers: string;
  }
}

interface LocalBroker {
  brokers: string;
  port: number;
  controllerPort: number;
  pid: number;
  alreadyRunning: boolean;
}

interface BrokerScript {
  startBroker(options?: { wipe?: boolean }): Promise<LocalBroker>;
  stopBroker(options?: { port?: number; controllerPort?: number }): Promise<{ stopped: boolean }>;
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  // A cluster named by the caller (or by an earlier call of this setup in the same process).
  const configuredBrokers = process.env.KAFKA_BROKERS;
  if (configuredBrokers) {
    project.provide('kafkaBrokers', configuredBrokers);
    return undefined;
  }

  // @ts-expect-error plain ESM script without types (it runs before the project is built)
  const script = (await import('../../scripts/kafka/broker.mjs')) as BrokerScript;
  const broker = await script.startBroker({ wipe: true });

  const variables: Record<string, string> = {
    KAFKA_BROKERS: broker.brokers,
    COPYFORGE_LOCAL_KAFKA_PORT: String(broker.port),
    COPYFORGE_KAFKA_PORT: String(broker.port),
    COPYFORGE_KAFKA_CONTROLLER_PORT: String(broker.controllerPort),
  };
  const previousValues = Object.fromEntries(Object.keys(variables).map((name) => [name, process.env[name]]));
  Object.assign(process.env, variables);
  project.provide('kafkaBrokers', broker.brokers);

  return async function teardown() {
    // Stop by port, not by pid: a test may have restarted the broker under a new pid.
    if (!broker.alreadyRunning) {
      await script.stopBroker({ port: broker.port, controllerPort: broker.controllerPort });
    }
    for (const [name, value] of Object.entries(previousValues)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  };
}
