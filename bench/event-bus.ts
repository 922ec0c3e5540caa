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
 *
 * Start-up (embedded only): BENCH_STARTUP_EVENTS events (default 1,000,000) are published in
 * batches of 1000 and handled by one group, the bus is stopped, and a fresh process opens the
 * directory: start(), subscribe (caught up) and one publish -> consume round trip, timed, with
 * that process's peak RSS and the directory's size. BENCH_STARTUP_EVENTS=0 skips it.
 */
import { randomUUID } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createEmbeddedEventBus, createKafkaEventBus, type EventBus, type EventToPublish } from '@chatgraph/kit/events';

const samples = Number(process.env.BENCH_LATENCY_SAMPLES ?? 300);
const total = Number(process.env.BENCH_EVENTS ?? 5000);
const startupEvents = Number(process.env.BENCH_STARTUP_EVENTS ?? 1_000_000);

function event(n: number): EventToPublish {
  const key = `conversation-${n % 50}`;
  return {
    key,
    event: {
      id: randomUUID(),
      type: 'message.created',
      occurredAt: new Date().toISOString(),
      subject: { conversationId: key },
      payload: { n },
    },
  };
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
  const batches = Array.from({ length: Math.ceil(total / 100) }, (_, b) =>
    Array.from({ length: Math.min(100, total - b * 100) }, (_, i) => event(b * 100 + i)),
  );
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
  else
    console.log(
      `${name.padEnd(10)} ${figures.p50.toFixed(2).padStart(8)} ms ${figures.p99.toFixed(2).padStart(8)} ms ${figures.perSecond.toFixed(0).padStart(12)}`,
    );
}

/** Bytes under `dir`, recursively. */
function sizeOf(dir: string): number {
  return readdirSync(dir, { withFileTypes: true }).reduce((sum, entry) => {
    const path = join(dir, entry.name);
    return sum + (entry.isDirectory() ? sizeOf(path) : statSync(path).size);
  }, 0);
}

/** Fills a directory with `startupEvents` handled events, then times a fresh process opening it. */
async function startup(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'chatgraph-bench-startup-'));
  const topic = 'bench.startup.v1';
  try {
    const bus = createEmbeddedEventBus({ dataDir });
    await bus.start();
    let handled = 0;
    const subscription = await bus.subscribe({ groupId: 'bench-startup', topics: [topic], handler: async () => void handled++ });
    const fillStart = performance.now();
    for (let from = 0; from < startupEvents; from += 1000) {
      await bus.publish(
        topic,
        Array.from({ length: Math.min(1000, startupEvents - from) }, (_, i) => event(from + i)),
      );
    }
    while (handled < startupEvents) await new Promise((resolve) => setTimeout(resolve, 5));
    const fillSeconds = (performance.now() - fillStart) / 1000;
    await subscription.stop();
    await bus.stop();
    const child = spawnSync(process.execPath, [...process.execArgv, process.argv[1] ?? '', 'open', dataDir, topic], { encoding: 'utf8' });
    if (child.status !== 0) throw new Error(`start-up process failed: ${child.stderr}`);
    const opened = JSON.parse(child.stdout.trim().split('\n').pop() ?? '{}') as { ms: number; rssMb: number };
    console.log(
      `start-up with ${startupEvents} events (filled in ${fillSeconds.toFixed(1)} s): ${opened.ms.toFixed(0)} ms to start + first round trip, peak RSS ${opened.rssMb.toFixed(0)} MB, directory ${(sizeOf(dataDir) / 1e6).toFixed(0)} MB`,
    );
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The child of `startup()`: opens the directory, catches up, one round trip; prints its figures as JSON. */
async function open(dataDir: string, topic: string): Promise<void> {
  const start = performance.now();
  const bus = createEmbeddedEventBus({ dataDir });
  await bus.start();
  const next = event(0);
  let arrived = (): void => undefined;
  const received = new Promise<void>((resolve) => (arrived = resolve));
  const subscription = await bus.subscribe({
    groupId: 'bench-startup',
    topics: [topic],
    handler: async ({ event: { id } }) => void (id === next.event.id && arrived()),
  });
  await bus.publish(topic, [next]);
  await received;
  const ms = performance.now() - start;
  await subscription.stop();
  await bus.stop();
  console.log(JSON.stringify({ ms, rssMb: process.resourceUsage().maxRSS / 1024 }));
}

async function main(): Promise<void> {
  if (process.argv[2] === 'open') return open(process.argv[3] ?? '', process.argv[4] ?? '');
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
  if (startupEvents > 0) await startup();

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
