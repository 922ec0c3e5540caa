// Kafka health probe used by scripts/infra/kafka.sh:
//   node scripts/infra/kafka/health.mjs <host:port> <timeout-ms> [--warm]
// Retries (every 250 ms, until the timeout) a real metadata round trip with the workspace's
// kafkajs: describeCluster (the broker is registered and there is an active controller) and
// listTopics. Prints one line and exits 0 when healthy, 1 on timeout (with the last error),
// 3 when kafkajs cannot be loaded (the caller then falls back to a weaker check).
// --warm (after `up`): also find a group coordinator and init an idempotent producer, so that
// __consumer_offsets and __transaction_state exist and are loaded before the first test, which
// then does not wait through "coordinator is loading / not available" retries.
import { createRequire } from 'node:module';

// kafkajs 2.2.4 sets a negative timer delay on Node 24 (tulios/kafkajs#1751): harmless, hidden.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') console.error(`${w.name}: ${w.message}`);
});

const args = process.argv.slice(2);
const warm = args.includes('--warm');
const [broker = '127.0.0.1:9092', timeoutArg = '30000'] = args.filter((a) => a !== '--warm');
const timeoutMs = Number(timeoutArg);

let kafkajs;
try {
  const require = createRequire(new URL('../../../subgraphs/kit/package.json', import.meta.url));
  kafkajs = require('kafkajs');
} catch (err) {
  console.error(`kafkajs not loadable from subgraphs/kit (run pnpm install): ${err.message}`);
  process.exit(3);
}
const { Kafka, logLevel } = kafkajs;

const kafka = new Kafka({
  clientId: 'chatgraph-infra-health',
  brokers: [broker],
  logLevel: logLevel.NOTHING,
  connectionTimeout: 1000,
  requestTimeout: 3000,
  retry: { retries: 0 },
});

async function warmUp(budgetMs) {
  const started = Date.now();
  const warmKafka = new Kafka({
    clientId: 'chatgraph-infra-warmup',
    brokers: [broker],
    logLevel: logLevel.NOTHING,
    retry: { retries: 100, initialRetryTime: 50, maxRetryTime: 500 },
  });
  const timeout = new Promise((_, reject) => setTimeout(() => reject(new Error(`warm-up not done in ${budgetMs} ms`)), budgetMs).unref());
  const work = (async () => {
    const admin = warmKafka.admin();
    await admin.connect();
    await admin.describeGroups(['chatgraph-infra-warmup']); // FindCoordinator(GROUP) -> __consumer_offsets
    await admin.disconnect();
    const producer = warmKafka.producer({
      idempotent: true,
      maxInFlightRequests: 1,
      retry: { retries: Number.MAX_SAFE_INTEGER, maxRetryTime: 500 },
    });
    await producer.connect(); // InitProducerId -> __transaction_state
    await producer.disconnect();
  })();
  await Promise.race([work, timeout]);
  return `; coordinators warmed in ${Date.now() - started} ms`;
}

const deadline = Date.now() + timeoutMs;
let lastError = 'no attempt';
for (;;) {
  const admin = kafka.admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    if (cluster.brokers.length === 0 || cluster.controller == null || cluster.controller < 0) {
      throw new Error(`cluster not ready: ${JSON.stringify(cluster)}`);
    }
    const topics = await admin.listTopics();
    await admin.disconnect();
    let warmed = '';
    if (warm) {
      warmed = await warmUp(Math.max(deadline - Date.now(), 5000));
    }
    console.log(
      `kafka healthy at ${broker}: cluster ${cluster.clusterId}, ${cluster.brokers.length} broker(s), ` +
        `controller ${cluster.controller}, ${topics.length} topic(s)${warmed}`,
    );
    process.exit(0);
  } catch (err) {
    lastError = `${err.name}: ${err.message}`;
    await admin.disconnect().catch(() => {});
  }
  if (Date.now() >= deadline) break;
  await new Promise((resolve) => setTimeout(resolve, 250));
}
console.error(`kafka not healthy at ${broker} after ${timeoutMs} ms: ${lastError}`);
process.exit(1);
