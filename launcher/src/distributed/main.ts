/**
 * `pnpm start:distributed`: each service in its own process against real servers. Start them
 * first: `for s in redis kafka mongo; do bash scripts/infra/$s.sh up; done`.
 * `MODEL_CATALOG_FILE` (ai-gateway) picks real providers; without it the local demo model answers.
 */
import { createLogger, loadConfig, oneOf, onShutdownSignals, port, str, url } from '@chatgraph/kit';
import { defaultPort } from '../descriptor';
import { SUBGRAPHS } from '../subgraphs';
import { startDistributed } from './launch';

/** Each listed subgraph's port variable (`IDENTITY_PORT`, ...), defaulting to the port its own `main.ts` uses. */
const subgraphPortSpecs = Object.fromEntries(
  SUBGRAPHS.map((descriptor) => [
    descriptor.portVariable,
    port({ description: `${descriptor.name} port`, default: defaultPort(descriptor) }),
  ]),
);

const spec = {
  ROUTER_PORT: port({ description: 'router port', default: 4000 }),
  REDIS_URL: url({ description: 'Redis (token streams, stop channel)', default: 'redis://127.0.0.1:6390' }),
  MONGO_URL: url({ description: 'MongoDB-compatible server', default: 'mongodb://127.0.0.1:27027' }),
  KAFKA_BROKERS: str({ description: 'Kafka brokers (comma-separated host:port)', default: '127.0.0.1:9092' }),
  DATA_DIR: str({ description: 'data directory for what is not in the servers (mail outbox)', default: '.data-distributed' }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, { description: 'log level', default: 'info' }),
};

async function main(): Promise<void> {
  const config = loadConfig(spec, process.env);
  const ports = loadConfig(subgraphPortSpecs, process.env);
  const stack = await startDistributed({
    routerPorts: [config.ROUTER_PORT],
    subgraphPorts: Object.fromEntries(
      SUBGRAPHS.map((descriptor) => [descriptor.name, [ports[descriptor.portVariable] ?? defaultPort(descriptor)]]),
    ),
    mongoUrl: config.MONGO_URL,
    kafkaBrokers: config.KAFKA_BROKERS,
    redisUrl: config.REDIS_URL,
    dataDir: config.DATA_DIR,
    logLevel: config.LOG_LEVEL,
  });
  process.stdout.write(`\nChatGraph (distributed) is up: ${stack.url}\n\n`);
  onShutdownSignals(createLogger({ name: 'distributed', level: config.LOG_LEVEL }), () => stack.stop());
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
