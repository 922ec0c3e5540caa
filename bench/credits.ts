/**
 * Credits: (1) debits applied per second by rate-limit's `ai.generation.v1` consumer (audit
 * entry, version compare-and-set on the balance with `balance.changed` in its outbox, daily
 * usage, bookkeeping; the outbox relay publishing meanwhile), then the same events delivered
 * again (every one must change nothing); (2) `sendMessage` latency in conversation with
 * BALANCE_ENFORCED on vs off, two instances in the same process called alternately so they share
 * the machine's load. Embedded adapters; figures include the machine's other load.
 *
 *   pnpm bench:credits            BENCH_DEBITS (2000), BENCH_USERS (50), BENCH_SENDS (300)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, newId, type UserPrincipal } from '@chatgraph/kit';
import { createEmbeddedStore } from '@chatgraph/kit/store';
import { createEmbeddedEventBus } from '@chatgraph/kit/events';
import { aiCatalogV1, aiGenerationV1, identityUserV1, MODEL_CATALOG_ID, rateLimitBalanceV1, type EventEnvelope } from '@chatgraph/schema';
import { loadConversationConfig, buildConversation, type Conversation, creditBalancesSpec } from '@chatgraph/conversation';
import { loadRateLimitConfig, buildRateLimit, rateLimitCollections } from '@chatgraph/rate-limit';

const DEBITS = Number(process.env.BENCH_DEBITS ?? 2000);
const USERS = Number(process.env.BENCH_USERS ?? 50);
const SENDS = Number(process.env.BENCH_SENDS ?? 300);
const SECRET = 'bench-credits-secret-0123456789abcdefghij';
const logger = createLogger({ name: 'bench', level: 'silent' });
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until(check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await sleep(100);
}

async function debits(dir: string): Promise<void> {
  const store = createEmbeddedStore({ dataDir: join(dir, 'rate-limit'), logger });
  const bus = createEmbeddedEventBus({ dataDir: join(dir, 'events'), logger });
  await store.start();
  await bus.start();
  const config = loadRateLimitConfig({
    INTERNAL_SIGNING_SECRET: SECRET,
    DATA_DIR: dir,
    STARTING_CREDITS: '1000000000',
    LOG_LEVEL: 'silent',
  });
  const rateLimit = buildRateLimit({ store, bus, config, logger, relayPollMs: 50 });
  await rateLimit.start(0);
  const { ledger, balances } = rateLimitCollections(store);
  try {
    const catalog = aiCatalogV1.create(
      'catalog.published',
      { catalogId: MODEL_CATALOG_ID },
      { models: [{ id: 'priced', contextWindow: 8192, capabilities: ['chat'], inputPricePerMTok: 3, outputPricePerMTok: 15 }] },
    );
    await bus.publish(aiCatalogV1.topic, [{ key: MODEL_CATALOG_ID, event: catalog }]);
    const users = Array.from({ length: USERS }, (_, i) => `bench-user-${i}`);
    await bus.publish(
      identityUserV1.topic,
      users.map((userId) => ({
        key: userId,
        event: identityUserV1.create(
          'user.registered',
          { userId },
          { email: `${userId}@example.com`, name: userId, role: 'USER', emailVerified: true },
        ),
      })),
    );
    await until(async () => (await balances.count({})) === USERS);

    // One conversation per event, as in production (the topic is keyed by conversation).
    const events: EventEnvelope[] = Array.from({ length: DEBITS }, (_, i) => {
      const subject = { conversationId: newId(), messageId: newId(), streamId: newId(), ownerId: users[i % USERS] ?? 'bench-user-0' };
      return aiGenerationV1.create('generation.completed', subject, {
        content: 'answer',
        finishReason: 'stop',
        model: 'priced',
        usage: { promptTokens: 200, completionTokens: 100, totalTokens: 300 },
      });
    });
    const applied = () => ledger.count({ kind: 'DEBIT', state: 'applied' });
    const start = process.hrtime.bigint();
    for (let i = 0; i < events.length; i += 200)
      await bus.publish(
        aiGenerationV1.topic,
        events.slice(i, i + 200).map((event) => ({ key: event.subject.conversationId ?? '', event })),
      );
    await until(async () => (await applied()) === DEBITS);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const spent = async () => (await balances.find({})).reduce((sum, b) => sum + (1_000_000_000 - b.credits), 0);
    const before = await spent();
    console.log(
      `debits applied:        ${DEBITS} in ${seconds.toFixed(2)} s = ${(DEBITS / seconds).toFixed(0)} debits/s (${USERS} users, embedded store and bus)`,
    );

    // Every event again, then a sentinel per key so we know each duplicate was consumed.
    const sentinelUser = 'bench-sentinel';
    const again = process.hrtime.bigint();
    for (let i = 0; i < events.length; i += 200) {
      const batch = events.slice(i, i + 200).flatMap((event) => {
        const sentinel = aiGenerationV1.create(
          'generation.completed',
          {
            ...(event.subject as { conversationId: string; messageId: string; streamId: string }),
            ownerId: sentinelUser,
            messageId: newId(),
          },
          { content: '', finishReason: 'stop', model: 'priced', usage: { promptTokens: 0, completionTokens: 0, totalTokens: 0 } },
        );
        return [
          { key: event.subject.conversationId ?? '', event },
          { key: event.subject.conversationId ?? '', event: sentinel },
        ];
      });
      await bus.publish(aiGenerationV1.topic, batch);
    }
    await until(async () => (await ledger.count({ userId: sentinelUser, kind: 'DEBIT', state: 'applied' })) === DEBITS);
    const againSeconds = Number(process.hrtime.bigint() - again) / 1e9;
    const debitsAfter = await ledger.count({ kind: 'DEBIT', state: 'applied', userId: { $ne: sentinelUser } });
    const spentAfter = (await balances.find({ _id: { $ne: sentinelUser } })).reduce((sum, b) => sum + (1_000_000_000 - b.credits), 0);
    console.log(
      `redelivered:           ${DEBITS} duplicates (+${DEBITS} sentinels) in ${againSeconds.toFixed(2)} s; debits ${debitsAfter} (must be ${DEBITS}), credits spent ${spentAfter} (must be ${before})`,
    );
  } finally {
    await rateLimit.stop();
    await bus.stop();
    await store.stop();
  }
}

async function startConversation(dir: string, enforced: boolean): Promise<{ conversation: Conversation; stop: () => Promise<void> }> {
  const store = createEmbeddedStore({ dataDir: join(dir, `conversation-${enforced}`), logger });
  const bus = createEmbeddedEventBus({ dataDir: join(dir, `conversation-${enforced}-events`), logger });
  await store.start();
  await bus.start();
  const config = loadConversationConfig({
    INTERNAL_SIGNING_SECRET: SECRET,
    DATA_DIR: dir,
    BALANCE_ENFORCED: String(enforced),
    MAX_OPEN_GENERATIONS_PER_USER: '1000',
    MAX_PENDING_GENERATIONS: '10000000',
    LOG_LEVEL: 'silent',
  });
  const conversation = buildConversation({ store, bus, config, logger });
  await conversation.start(0);
  // The user's balance, as rate-limit would have published it: positive, so the check reads and passes.
  await bus.publish(rateLimitBalanceV1.topic, [
    { key: 'u', event: rateLimitBalanceV1.create('balance.changed', { userId: 'u' }, { credits: 1000, version: 1, reason: 'opening' }) },
  ]);
  await until(async () => (await store.collection(creditBalancesSpec).findById('u')) !== null);
  return {
    conversation,
    stop: async () => {
      await conversation.stop();
      await bus.stop();
      await store.stop();
    },
  };
}

async function sendLatency(dir: string): Promise<void> {
  const on = await startConversation(dir, true);
  const off = await startConversation(dir, false);
  const users = Array.from({ length: Math.ceil(SENDS / 500) + 1 }, () => 'u');
  const principal: UserPrincipal = { kind: 'user', userId: users[0] ?? 'u', role: 'USER', via: 'jwt' };
  const times = { on: [] as number[], off: [] as number[] };
  try {
    // Warm-up, then alternate so both share the same moments of machine load.
    for (let i = 0; i < 20; i++) {
      await on.conversation.service.sendMessage(principal, { content: 'warm up' });
      await off.conversation.service.sendMessage(principal, { content: 'warm up' });
    }
    for (let i = 0; i < SENDS; i++) {
      for (const [name, target] of i % 2 === 0
        ? ([
            ['on', on],
            ['off', off],
          ] as const)
        : ([
            ['off', off],
            ['on', on],
          ] as const)) {
        const start = process.hrtime.bigint();
        await target.conversation.service.sendMessage(principal, { content: `message ${i}` });
        times[name].push(Number(process.hrtime.bigint() - start) / 1e6);
      }
    }
  } finally {
    await on.stop();
    await off.stop();
  }
  const at = (list: number[], q: number) => [...list].sort((a, b) => a - b)[Math.min(list.length - 1, Math.floor(q * list.length))] ?? 0;
  for (const name of ['off', 'on'] as const) {
    console.log(
      `sendMessage enforcement ${name.padEnd(3)}: p50 ${at(times[name], 0.5).toFixed(2).padStart(7)} ms   p99 ${at(times[name], 0.99).toFixed(2).padStart(7)} ms   (${SENDS} sends, new conversation each, embedded store)`,
    );
  }
  console.log(`sendMessage p50 on/off: ${(at(times.on, 0.5) / at(times.off, 0.5)).toFixed(3)}`);
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'chatgraph-bench-credits-'));
  try {
    await debits(dir);
    await sendLatency(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
