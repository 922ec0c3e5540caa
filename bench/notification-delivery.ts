/**
 * notificationReceived delivery (issue 18's figures, subgraph side): one notification subgraph in
 * this process over embedded adapters, `NOTIFY_USERS` users each with one graphql-ws
 * subscription (its own socket, signed as the router signs), then `NOTIFY_EVENTS` answers
 * completed unwatched (streaming's `stream.ended` published on the bus), spread over the users. Printed: the
 * time from the event's publish to its notification reaching the client (p50, p99, max), and the
 * heap and RSS per open subscription. The router's share (its fan-out and hydration) is not in
 * these figures.
 *
 *   pnpm bench:notification   # NOTIFY_USERS=1000 NOTIFY_EVENTS=2000
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createLogger, newId, signConnectionParams } from '@chatgraph/kit';
import { documentStoreFromConfig } from '@chatgraph/kit/store';
import { eventBusFromConfig } from '@chatgraph/kit/events';
import { kvStoreFromConfig } from '@chatgraph/kit/kv';
import { buildNotification, loadNotificationConfig } from '@chatgraph/notification';
import { streamingStreamV1 } from '@chatgraph/schema';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

const USERS = Number(process.env.NOTIFY_USERS ?? 1000);
const EVENTS = Number(process.env.NOTIFY_EVENTS ?? 2000);
const SECRET = 'notification-bench-secret-0123456789abcdef';

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'notification-bench-'));
  const config = loadNotificationConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  const logger = createLogger({ name: 'notification', level: 'silent' });
  const store = documentStoreFromConfig(config, 'notification', logger);
  const bus = eventBusFromConfig(config, 'notification', logger);
  const kv = kvStoreFromConfig(config, logger);
  for (const adapter of [store, bus, kv]) await adapter.start();
  const notification = buildNotification({ store, bus, kv, config, logger });
  const base = await notification.start(0);

  const published = new Map<string, number>();
  const latencies: number[] = [];
  let received = 0;
  let done: () => void = () => undefined;
  const allReceived = new Promise<void>((resolve) => {
    done = resolve;
  });
  const users = Array.from({ length: USERS }, (_, i) => `bench-user-${i}`);

  global.gc?.();
  const before = { heap: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss };
  const clients: Client[] = users.map((userId) =>
    createClient({
      url: `${base.replace(/^http/, 'ws')}/graphql`,
      webSocketImpl: WebSocket,
      connectionParams: () => signConnectionParams(SECRET, { kind: 'user', userId, role: 'USER', via: 'jwt' }),
      retryAttempts: 0,
    }),
  );
  for (const client of clients) {
    client.subscribe<{ notificationReceived: { id: string } }>(
      { query: 'subscription { notificationReceived { id kind } }' },
      {
        next: (result) => {
          const id = result.data?.notificationReceived.id;
          const at = id ? published.get(id) : undefined;
          if (at !== undefined) latencies.push(performance.now() - at);
          received += 1;
          if (received === EVENTS) done();
        },
        error: (error) => console.error('subscription error', error),
        complete: () => undefined,
      },
    );
  }
  // Every subscription is open on the subgraph before anything is published.
  while (notification.feeds.size < USERS) await new Promise((resolve) => setTimeout(resolve, 20));
  global.gc?.();
  const open = { heap: process.memoryUsage().heapUsed, rss: process.memoryUsage().rss };

  const started = performance.now();
  for (let i = 0; i < EVENTS; i++) {
    const ownerId = users[i % USERS] as string;
    const subject = { conversationId: newId(), messageId: newId(), streamId: newId(), ownerId };
    // As streaming announces an answer that ended while nobody watched its stream.
    const event = streamingStreamV1.create('stream.ended', subject, { status: 'COMPLETE', watched: false, preview: 'The answer.' });
    published.set(`answer:${event.id}`, performance.now());
    await bus.publish(streamingStreamV1.topic, [{ key: ownerId, event }]);
  }
  await allReceived;
  const elapsed = performance.now() - started;

  latencies.sort((a, b) => a - b);
  console.log(`notificationReceived: ${USERS} users, one subscription each; ${EVENTS} answers completed`);
  console.log(
    `  delivered ${latencies.length}/${EVENTS} in ${(elapsed / 1000).toFixed(2)} s (${((EVENTS / elapsed) * 1000).toFixed(0)}/s)`,
  );
  console.log(
    `  publish -> client: p50 ${percentile(latencies, 50).toFixed(1)} ms, p99 ${percentile(latencies, 99).toFixed(1)} ms, max ${(latencies.at(-1) ?? NaN).toFixed(1)} ms`,
  );
  console.log(
    `  per open subscription (subgraph + client in this process): heap ${((open.heap - before.heap) / USERS / 1024).toFixed(1)} KiB, RSS ${((open.rss - before.rss) / USERS / 1024).toFixed(1)} KiB; RSS ${mb(open.rss)} MB`,
  );

  await Promise.all(clients.map((client) => client.dispose()));
  await notification.stop();
  for (const adapter of [kv, bus, store]) await adapter.stop();
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
