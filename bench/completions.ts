/**
 * How fast conversation applies finished answers: `generation.completed` events through the
 * completion consumer's handler (`generationResultHandler`, with its idempotency marker, its
 * conditional update and its `message.completed` outbox entry) while the outbox relay runs and
 * publishes, as in production. The store first holds `BENCH_EXISTING` messages (default 20,000:
 * half user messages, half PENDING answers, none with pending events), then `BENCH_COMPLETIONS`
 * (default 2,000) of the pending answers are completed twice over (other answers each time), the
 * newest ones as in production (on FerretDB a filter it cannot look up by key is matched row by row
 * in insertion order and stops at the first match: the oldest answers would hide that cost):
 * - `handler`: the handler called directly, `BENCH_CONCURRENCY` at a time (default 3, one per
 *   partition of the embedded bus when each partition handled one event at a time);
 * - `consumer`: the events published to the embedded bus first, then applied by the production
 *   subscription (`subscribeGenerationResults`, with as many in flight as it asks for).
 * Each figure is completions applied per second, and counted until the relay has published every
 * `message.completed` too. Embedded store always; a MongoDB-compatible server too when
 * `MONGO_URL` is set (its database is left behind); `BENCH_EMBEDDED=0` measures only that server.
 *
 * `BENCH_PROFILE=1` also prints where the time goes: the slowest store operations by collection,
 * method and filter shape (ids masked), averaged.
 *
 *   pnpm bench:completions
 *   MONGO_URL=mongodb://127.0.0.1:27027 pnpm bench:completions
 *   MONGO_URL=mongodb://127.0.0.1:27027 BENCH_EMBEDDED=0 BENCH_EXISTING=20000 BENCH_COMPLETIONS=300 pnpm bench:completions
 *   MONGO_URL=mongodb://127.0.0.1:27027 BENCH_EXISTING=2000 BENCH_COMPLETIONS=100 BENCH_PROFILE=1 pnpm bench:completions
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { aiGenerationV1 } from '@chatgraph/schema';
import { createLogger, newId } from '@chatgraph/kit';
import { commitStats, createEmbeddedStore, createMongoStore, type DocumentStore } from '@chatgraph/kit/store';
import { createEmbeddedEventBus, OutboxRelay, PENDING_OUTBOX, syncStats, type EventBus, type EventDelivery } from '@chatgraph/kit/events';
import { generationResultHandler, subscribeGenerationResults, conversationCollections, type MessageDoc } from '@chatgraph/conversation';

const EXISTING = Number(process.env.BENCH_EXISTING ?? 20_000);
const COMPLETIONS = Number(process.env.BENCH_COMPLETIONS ?? 2_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 3);
const OWNERS = 100;

function message(conversationId: string, ownerId: string, parentId: string | null, role: 'USER' | 'ASSISTANT', n: number): MessageDoc {
  const at = new Date(1_700_000_000_000 + n);
  const pending = role === 'ASSISTANT';
  return {
    _id: newId(),
    conversationId,
    ownerId,
    parentId,
    role,
    content: pending ? '' : randomBytes(90).toString('base64'),
    fileIds: [],
    status: pending ? 'PENDING' : 'COMPLETE',
    streamId: pending ? newId() : null,
    model: pending ? 'local-demo' : null,
    tokenCount: null,
    finishReason: null,
    feedback: null,
    depth: pending ? 1 : 0,
    createdAt: at,
    updatedAt: at,
  };
}

function completedDelivery(answer: MessageDoc, offset: number): EventDelivery {
  const subject = {
    conversationId: answer.conversationId,
    messageId: answer._id,
    streamId: answer.streamId ?? '',
    ownerId: answer.ownerId,
  };
  const event = aiGenerationV1.create('generation.completed', subject, {
    content: `answer ${offset} ${randomBytes(60).toString('base64')}`,
    finishReason: 'stop',
    model: 'local-demo',
    usage: { promptTokens: 10, completionTokens: 40, totalTokens: 50 },
  });
  return {
    topic: aiGenerationV1.topic,
    partition: offset % CONCURRENCY,
    offset: String(offset),
    key: answer.conversationId,
    event,
    headers: {},
    groupId: 'bench',
    attempt: 1,
  };
}

/** Time spent per store operation shape (BENCH_PROFILE=1). */
const timings = new Map<string, { count: number; ms: number }>();

/** The operation's shape: collection, method and its first argument with ids masked. */
function shapeOf(collection: string, method: string, first: unknown): string {
  const argument = JSON.stringify(first) ?? '';
  return `${collection}.${method} ${argument.replace(/"[A-Za-z0-9_:.-]{16,}"/g, '"…"').slice(0, 100)}`;
}

/** Wraps every collection the store hands out so each call's time is added to `timings`. */
function profile(store: DocumentStore): void {
  const collection = store.collection.bind(store);
  store.collection = ((spec: Parameters<DocumentStore['collection']>[0]) => {
    const target = collection(spec) as unknown as Record<string, unknown>;
    return new Proxy(target, {
      get(object, property) {
        const value = object[property as string];
        if (typeof value !== 'function') return value;
        return async (...args: unknown[]) => {
          const started = performance.now();
          try {
            return await (value as (...a: unknown[]) => Promise<unknown>).apply(object, args);
          } finally {
            const key = shapeOf(spec.name, String(property), args[0]);
            const entry = timings.get(key) ?? { count: 0, ms: 0 };
            entry.count++;
            entry.ms += performance.now() - started;
            timings.set(key, entry);
          }
        };
      },
    });
  }) as unknown as DocumentStore['collection'];
}

function printProfile(): void {
  const total = [...timings.values()].reduce((sum, t) => sum + t.ms, 0);
  console.log('  where the store time went (slowest shapes; operations overlap, 3 at a time):');
  for (const [shape, t] of [...timings].sort((a, b) => b[1].ms - a[1].ms).slice(0, 10)) {
    console.log(
      `    ${((t.ms / total) * 100).toFixed(0).padStart(3)} %  ${(t.ms / t.count).toFixed(1).padStart(8)} ms x ${String(t.count).padStart(5)}  ${shape}`,
    );
  }
  timings.clear();
}

type Handler = ReturnType<typeof generationResultHandler>;
type Collections = ReturnType<typeof conversationCollections>;

/** Applies the deliveries by calling the handler directly, `CONCURRENCY` at a time. */
async function applyDirectly(handler: Handler, deliveries: readonly EventDelivery[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < deliveries.length) {
        const delivery = deliveries[next++];
        if (delivery) await handler(delivery);
      }
    }),
  );
}

/** Applies the deliveries' events through the bus: published first, then consumed by the production subscription. */
async function applyThroughBus(bus: EventBus, handler: Handler, deliveries: readonly EventDelivery[], started: () => void): Promise<void> {
  await bus.publish(
    aiGenerationV1.topic,
    deliveries.map(({ key, event }) => ({ key, event })),
  );
  let handled = 0;
  let allHandled = (): void => undefined;
  const done = new Promise<void>((resolve) => (allHandled = resolve));
  started();
  const subscription = await subscribeGenerationResults(bus, async (delivery) => {
    await handler(delivery);
    if (++handled === deliveries.length) allHandled();
  });
  await done;
  await subscription.stop();
}

/** Times one way of applying `deliveries` until the relay has published every `message.completed`; prints the figures. */
async function timed(label: string, collections: Collections, apply: (started: () => void) => Promise<void>): Promise<void> {
  const completeBefore = await collections.messages.count({ status: 'COMPLETE', role: 'ASSISTANT' });
  let started = process.hrtime.bigint();
  let cpuStart = process.cpuUsage();
  let counted = { ...commitStats, ...syncStats };
  await apply(() => {
    started = process.hrtime.bigint();
    cpuStart = process.cpuUsage();
    counted = { ...commitStats, ...syncStats };
  });
  const applied = Number(process.hrtime.bigint() - started) / 1e9;
  // Published too: the relay must keep up, or `message.completed` piles up in the documents.
  while ((await collections.messages.count(PENDING_OUTBOX)) > 0) await new Promise((resolve) => setTimeout(resolve, 5));
  const published = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu = process.cpuUsage(cpuStart);
  const per = (n: number): string => (n / COMPLETIONS).toFixed(2).padStart(7);
  const complete = (await collections.messages.count({ status: 'COMPLETE', role: 'ASSISTANT' })) - completeBefore;
  if (complete !== COMPLETIONS) throw new Error(`expected ${COMPLETIONS} completed answers, found ${complete}`);
  console.log(`  ${label}`);
  console.log(
    `    applied   ${(COMPLETIONS / applied).toFixed(0).padStart(7)} completions/s   (${COMPLETIONS} in ${applied.toFixed(2)} s)`,
  );
  console.log(
    `    published ${(COMPLETIONS / published).toFixed(0).padStart(7)} completions/s   (message.completed all out after ${published.toFixed(2)} s)`,
  );
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  // CPU per completion says what one free core would do; on a loaded machine the rates above are what this process got.
  console.log(
    `    CPU       ${((cpuSeconds / published) * 100).toFixed(0).padStart(7)} % of one core, ${((cpuSeconds * 1000) / COMPLETIONS).toFixed(2)} ms per completion`,
  );
  // Counts, not times: how many fsyncs a completion costs does not depend on the machine's load.
  console.log(
    `    store     ${per(commitStats.commits - counted.commits)} commits (fsyncs) per completion, ${per(commitStats.operations - counted.operations)} writes per completion`,
  );
  console.log(`    event log ${per(syncStats.walSyncs - counted.walSyncs)} fsyncs per completion`);
  if (process.env.BENCH_PROFILE === '1') printProfile();
}

async function measure(name: string, store: DocumentStore, busDir: string): Promise<void> {
  if (process.env.BENCH_PROFILE === '1') profile(store);
  const logger = createLogger({ name: 'bench', level: 'silent' });
  const collections = conversationCollections(store);
  const bus = createEmbeddedEventBus({ dataDir: busDir, logger });
  await store.start();
  await bus.start();
  const relay = new OutboxRelay({ bus, collections: [collections.conversations, collections.messages], logger, pollIntervalMs: 1000 });
  try {
    const answers: MessageDoc[] = [];
    const batch: MessageDoc[] = [];
    for (let i = 0; i < EXISTING / 2; i++) {
      const conversationId = newId();
      const ownerId = `owner-${i % OWNERS}`;
      const user = message(conversationId, ownerId, null, 'USER', 2 * i);
      const answer = message(conversationId, ownerId, user._id, 'ASSISTANT', 2 * i + 1);
      answers.push(answer);
      batch.push(user, answer);
      if (batch.length >= 1000) await collections.messages.insertMany(batch.splice(0));
    }
    if (batch.length > 0) await collections.messages.insertMany(batch.splice(0));
    if (answers.length < 2 * COMPLETIONS) throw new Error(`BENCH_EXISTING must be at least 4 x BENCH_COMPLETIONS (${4 * COMPLETIONS})`);
    relay.start();
    const handler = generationResultHandler({
      store,
      collections,
      logger,
      now: () => new Date(),
      eventsQueued: (hint) => relay.notify(hint),
    });
    const direct = answers.slice(-2 * COMPLETIONS, -COMPLETIONS).map((answer, i) => completedDelivery(answer, i));
    const consumed = answers.slice(-COMPLETIONS).map((answer, i) => completedDelivery(answer, i));
    console.log(`\n${name}`);
    await timed(`handler, ${CONCURRENCY} at a time`, collections, () => applyDirectly(handler, direct));
    await timed('consumer on the embedded bus', collections, (started) => applyThroughBus(bus, handler, consumed, started));
  } finally {
    await relay.stop();
    await bus.stop();
    await store.stop();
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-completions-'));
  console.log(
    `completions applied, ${EXISTING} existing messages, ${COMPLETIONS} completions, ${CONCURRENCY} at a time, Node ${process.version}`,
  );
  try {
    if (process.env.BENCH_EMBEDDED !== '0')
      await measure('embedded store', createEmbeddedStore({ dataDir: join(dataDir, 'store') }), join(dataDir, 'bus-embedded'));
    const url = process.env.MONGO_URL;
    if (url)
      await measure(
        `MongoDB adapter on ${url}`,
        createMongoStore({ uri: url, dbName: `bench_completions_${randomBytes(4).toString('hex')}` }),
        join(dataDir, 'bus-mongo'),
      );
    else console.log('\n(set MONGO_URL to measure a MongoDB-compatible server too; its database is left behind)');
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
