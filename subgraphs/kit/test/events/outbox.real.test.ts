import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { kafkaBrokers, requireKafka, testKafkaBus } from './kafkaSetup';
import { outboxOutageScenario } from './outboxOutage';

/**
 * The outbox across a real Kafka outage: the broker is stopped with `scripts/infra/kafka.sh down`
 * and started again with `up` (same data directory). The relay and the consumer keep running
 * throughout and reconnect by themselves.
 *
 * It stops the broker of `KAFKA_BROKERS`: do not run it while something else needs that broker.
 * A broker on another port than 9092 needs `KAFKA_PORT`/`KAFKA_CONTROLLER_PORT` as it was started with.
 */

const run = promisify(execFile);
const workspaceRoot = resolve(__dirname, '../../../..');

async function kafkaScript(command: 'up' | 'down'): Promise<void> {
  const port = kafkaBrokers()[0]?.split(':')[1] ?? '9092';
  await run('bash', ['scripts/infra/kafka.sh', command], {
    cwd: workspaceRoot,
    env: { ...process.env, KAFKA_PORT: process.env.KAFKA_PORT ?? port },
    timeout: 180_000,
  });
}

beforeAll(requireKafka);

describe('outbox with Kafka', () => {
  it('keeps 100 writes and their events while Kafka is down, then delivers each once with one effect', async () => {
    let down = false;
    try {
      await outboxOutageScenario(
        {
          openBus: async () => {
            const bus = testKafkaBus({ retries: 2 });
            await bus.start();
            return bus;
          },
          outage: async () => {
            down = true;
            await kafkaScript('down');
          },
          restore: async () => {
            await kafkaScript('up');
            down = false;
            return false;
          },
        },
        120_000,
      );
    } finally {
      // Never leave the broker down for the tests that follow.
      if (down) await kafkaScript('up');
    }
  });
});
