/**
 * Event bus: publish -> consume latency (p50/p99) and throughput, embedded vs Kafka, in one run.
 *
 *   pnpm bench:events                 embedded only
 *   KAFKA_BROKERS=127.0.0.1:9092 pnpm bench:events   embedded and Kafka
 *
 * Latency: one event at a time (publish, wait until the handler has it, next), so each figure is
 * an unloaded round trip: durable publish (fsync / acks=all) + delivery to a consumer-group
 * handler in the same process. Throughput: BENCH_EVENTS events published in batches of 100,
 * four calls in flight, timed from the first publish to the last event handled.
 * BENCH_LATENCY_SAMPLES and BENCH_EVENTS tune the run.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEmbeddedEventBus, createKafkaEventBus, type EventBus, type EventToPublish } from '../subgraphs/kit/src/events';

const samples = Number(process.env.BENCH_LATENCY_SAMPLES ?? 300);
const total = Number(process.env.BENCH_EVENTS ?? 5000);

function event(n: number): EventToPublish {
  const key = `conversation-${n % 50}`;
  return { key, event: { id: randomUUID(), type: 'message.created', occurredAt: new Date().toISOString(), subject: { conversationId: key }, payload: { n } } };
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

interface Figures {
  p50: number;
  p99: number;
  perSecond: number;
}

async function measure(bus: EventBus): Promise<Figures> {
  const arrived = new Map<string, () => void>();
  let handled = 0;
  const run = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
  const topic = `bench.message-${run}.v1`;
  await bus.subscribe({
    groupId: `bench-${run}`,
    topics: [topic],
    handler: async ({ event: { id } }) => {
      handled++;
      arrived.get(id)?.();
    },
  });
  const latencies: number[] = [];
  for (let n = 0; n < samples + 20; n++) {
    const next = event(n);
    const received = new Promise<void>((resolve) => arrived.set(next.event.id, resolve));
    const start = performance.now();
    await bus.publish(topic, [next]);
    await received;
    arrived.delete(next.event.id);
    if (n >= 20) latencies.push(performance.now() - start); // the first 20 warm up connections and JIT
  }
  latencies.sort((a, b) => a - b);

  const already = handled;
  const start = performance.now();
  const batches = Array.from({ length: Math.ceil(total / 100) }, (_, b) => Array.from({ length: Math.min(100, total - b * 100) }, (_, i) => event(b * 100 + i)));
  const inFlight = new Set<Promise<void>>();
  for (const batch of batches) {
    const call = bus.publish(topic, batch).finally(() => inFlight.delete(call));
    inFlight.add(call);
    if (inFlight.size >= 4) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  while (handled - already < total) await new Promise((resolve) => setTimeout(resolve, 2));
  const seconds = (performance.now() - start) / 1000;
  return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), perSecond: total / seconds };
}

function report(name: string, figures: Figures | string): void {
  if (typeof figures === 'string') console.log(`${name.padEnd(10)} ${figures}`);
  else console.log(`${name.padEnd(10)} ${figures.p50.toFixed(2).padStart(8)} ms ${figures.p99.toFixed(2).padStart(8)} ms ${figures.perSecond.toFixed(0).padStart(12)}`);
}

async function main(): Promise<void> {
  console.log(`\nevent bus, Node ${process.version}: latency over ${samples} single-event round trips, throughput over ${total} events`);
  console.log('embedded: fsync per publish batch, same process; kafka: acks=all idempotent producer, consumer in the same process.');
  console.log(`${'adapter'.padEnd(10)} ${'p50'.padStart(11)} ${'p99'.padStart(11)} ${'events/s'.padStart(12)}`);

  const dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-bench-bus-'));
  const embedded = createEmbeddedEventBus({ dataDir });
  try {
    await embedded.start();
    report('embedded', await measure(embedded));
  } finally {
    await embedded.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }

  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) {
    report('kafka', 'not measured: set KAFKA_BROKERS (e.g. 127.0.0.1:9092 after bash scripts/infra/kafka.sh up)');
    return;
  }
  const kafka = createKafkaEventBus({ brokers: brokers.split(','), clientId: 'bench-event-bus', consumer: { maxWaitTimeMs: 100 } });
  try {
    await kafka.start();
    report('kafka', await measure(kafka));
  } finally {
    await kafka.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
