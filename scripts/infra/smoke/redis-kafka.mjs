#!/usr/bin/env node
// Smoke test: the workspace's own ioredis and kafkajs against the servers that
// scripts/infra/redis.sh and scripts/infra/kafka.sh start.
//
//   scripts/infra/redis.sh up && scripts/infra/kafka.sh up
//   node scripts/infra/smoke/redis-kafka.mjs
//
// REDIS_PORT (default 6390) and KAFKA_PORT (default 9092) as for the scripts. Prints one line per
// thing it proved and exits non-zero on the first failure (or after 60 s in all).
import { createRequire } from 'node:module';
import { randomUUID } from 'node:crypto';
import assert from 'node:assert/strict';

const require = createRequire(new URL('../../../subgraphs/kit/package.json', import.meta.url));
const { Redis } = require('ioredis');
const { Kafka, logLevel, Partitioners } = require('kafkajs');

const HOST = '127.0.0.1';
const LEVELS = Object.fromEntries(Object.entries(logLevel).map(([name, n]) => [n, name]));
const REDIS_PORT = Number(process.env.REDIS_PORT ?? 6390);
const KAFKA_BROKER = `${HOST}:${process.env.KAFKA_PORT ?? 9092}`;
const RUN = randomUUID().slice(0, 8);
const TOTAL_TIMEOUT_MS = 60_000;

// kafkajs 2.2.4 schedules a timer with a negative delay on Node 24 (tulios/kafkajs#1751): a
// harmless warning, filtered so it does not hide real ones.
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') console.warn(`${w.name}: ${w.message}`);
});

const started = Date.now();
const ok = (msg) => console.log(`ok   ${msg} (${Date.now() - started} ms)`);
const timer = setTimeout(() => {
  console.error(`FAIL smoke test still running after ${TOTAL_TIMEOUT_MS} ms`);
  process.exit(1);
}, TOTAL_TIMEOUT_MS);
timer.unref();

async function redisChecks() {
  const opts = { host: HOST, port: REDIS_PORT, lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3000 };
  const redis = new Redis(opts);
  const sub = new Redis(opts);
  const prefix = `smoke:${RUN}`;
  try {
    await redis.connect();
    await sub.connect();
    const info = await redis.info('server');
    const version = /redis_version:(\S+)/.exec(info)?.[1];
    ok(`redis: connected to ${HOST}:${REDIS_PORT} (Redis ${version})`);

    assert.equal(await redis.set(`${prefix}:k`, 'v1', 'EX', 60), 'OK');
    assert.equal(await redis.get(`${prefix}:k`), 'v1');
    ok('redis: SET EX / GET round trip');

    const stream = `${prefix}:stream`;
    for (let i = 0; i < 20; i++) {
      await redis.xadd(stream, 'MAXLEN', '=', '10', '*', 'n', String(i));
    }
    const entries = await redis.xrange(stream, '-', '+');
    assert.equal(entries.length, 10, 'MAXLEN = 10 keeps the 10 newest');
    assert.deepEqual(entries[0][1], ['n', '10']);
    assert.deepEqual(entries[9][1], ['n', '19']);
    ok('redis: XADD MAXLEN = 10 x20, XRANGE returned entries 10..19 in order');

    const channel = `${prefix}:chan`;
    const received = new Promise((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no pub/sub message within 5 s')), 5000);
      sub.on('message', (ch, message) => {
        if (ch === channel) {
          clearTimeout(t);
          resolve(message);
        }
      });
    });
    assert.equal(await sub.subscribe(channel), 1);
    const receivers = await redis.publish(channel, 'hello');
    assert.equal(receivers, 1, 'one subscriber got it');
    assert.equal(await received, 'hello');
    ok('redis: PUBLISH -> SUBSCRIBE round trip (1 receiver)');

    // A fixed-window rate limiter in Lua: INCR + PEXPIRE on first hit, atomic.
    const lua = `
      local n = redis.call('INCR', KEYS[1])
      if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
      return { n, redis.call('PTTL', KEYS[1]) }`;
    const rl = `${prefix}:rl`;
    const first = await redis.eval(lua, 1, rl, 60000);
    const second = await redis.eval(lua, 1, rl, 60000);
    assert.equal(first[0], 1);
    assert.equal(second[0], 2);
    assert.ok(second[1] > 0 && second[1] <= 60000, `PTTL ${second[1]}`);
    ok(`redis: EVAL Lua (INCR+PEXPIRE) -> ${first[0]}, ${second[0]} with TTL ${second[1]} ms`);

    await redis.del(`${prefix}:k`, stream, rl);
  } finally {
    sub.disconnect();
    redis.disconnect();
  }
}

async function kafkaChecks() {
  const kafka = new Kafka({
    clientId: `chatgraph-smoke-${RUN}`,
    brokers: [KAFKA_BROKER],
    logLevel: logLevel.WARN,
    // One compact line per kafkajs log entry. On a fresh broker the first InitProducerId and
    // FindCoordinator get retriable errors ("coordinator is loading", "not available") while
    // __transaction_state / __consumer_offsets are created; kafkajs retries them.
    logCreator:
      () =>
      ({ level, log }) =>
        console.error(`     kafkajs ${LEVELS[level] ?? level}: ${log.message}${log.error ? ` (${log.error})` : ''}`),
    connectionTimeout: 3000,
    retry: { retries: 5, initialRetryTime: 100 },
  });
  const topic = `smoke-${RUN}`;
  const groupId = `smoke-group-${RUN}`;
  const N = 100;

  const admin = kafka.admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  ok(`kafka: admin connected to ${KAFKA_BROKER} (cluster ${cluster.clusterId}, ${cluster.brokers.length} broker)`);
  assert.equal(await admin.createTopics({ topics: [{ topic, numPartitions: 3, replicationFactor: 1 }], waitForLeaders: true }), true);
  const [meta] = (await admin.fetchTopicMetadata({ topics: [topic] })).topics;
  assert.equal(meta.partitions.length, 3);
  ok(`kafka: created topic ${topic} with 3 partitions`);

  const producer = kafka.producer({
    idempotent: true,
    maxInFlightRequests: 1,
    // kafkajs warns that fewer retries "may invalidate EoS guarantees"; the global timer bounds it.
    retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 1000 },
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const messages = Array.from({ length: N }, (_, i) => ({ key: `user-${i % 10}`, value: JSON.stringify({ i, run: RUN }) }));
  const results = await producer.send({ topic, acks: -1, messages });
  const partitionsUsed = new Set(results.map((r) => r.partition));
  await producer.disconnect();
  ok(`kafka: idempotent producer sent ${N} keyed messages with acks=-1 (to ${partitionsUsed.size} partitions)`);

  // maxWaitTimeInMs: a fetch long-polls that long, and disconnect() waits for it (default 5 s).
  const consumer = kafka.consumer({ groupId, sessionTimeout: 10000, heartbeatInterval: 1000, maxWaitTimeInMs: 250 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map();
  const keyPartition = new Map();
  let done;
  const allRead = new Promise((resolve) => (done = resolve));
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      const { i } = JSON.parse(message.value.toString());
      seen.set(i, partition);
      const key = message.key.toString();
      if (keyPartition.has(key)) assert.equal(keyPartition.get(key), partition, `key ${key} on one partition`);
      keyPartition.set(key, partition);
      if (seen.size === N) done();
    },
  });
  await Promise.race([allRead, new Promise((_, rej) => setTimeout(() => rej(new Error(`read ${seen.size}/${N} in 20 s`)), 20000))]);
  assert.equal(seen.size, N);
  ok(`kafka: consumer group ${groupId} read all ${N} messages (each key on a single partition)`);

  const offsets = await admin.fetchTopicOffsets(topic);
  await consumer.commitOffsets(offsets.map((o) => ({ topic, partition: o.partition, offset: o.high })));
  await consumer.disconnect();
  const [committed] = await admin.fetchOffsets({ groupId, topics: [topic] });
  const sum = committed.partitions.reduce((s, p) => s + Number(p.offset), 0);
  assert.equal(sum, N, `committed offsets add up to ${N}`);
  ok(`kafka: committed offsets ${committed.partitions.map((p) => `p${p.partition}=${p.offset}`).join(' ')} (sum ${sum})`);

  await admin.deleteTopics({ topics: [topic] });
  await admin.deleteGroups([groupId]);
  await admin.disconnect();
  ok('kafka: deleted the topic and the group, disconnected');
}

try {
  await redisChecks();
  await kafkaChecks();
  console.log(`smoke: redis + kafka OK in ${Date.now() - started} ms`);
  process.exit(0);
} catch (err) {
  console.error(`FAIL ${err?.stack ?? err}`);
  process.exit(1);
}
