/**
 * Distributed mode (every service its own process, MongoDB-compatible server, Kafka, Redis): a
 * service whose collection cannot open on MongoDB (a unique index that cannot be built over
 * duplicate documents) exits non-zero with its one-line refusal, and the launcher stops the
 * whole start repeating it, with nothing left running.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mongoose from 'mongoose';
import { startDistributed } from '@chatgraph/launcher';
import { freePorts, KAFKA_BROKERS, MONGO_URL, REDIS_URL } from './distributedStack';

describe('distributed start over a collection that cannot open', () => {
  const run = `e2e_refusal_${process.pid}_${Date.now()}_`;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-refusal-distributed-'));
    // identity's `users` declares `email` unique; two users share one.
    const connection = await mongoose.createConnection(MONGO_URL, { serverSelectionTimeoutMS: 3000 }).asPromise();
    try {
      await connection
        .useDb(`${run}identity`)
        .collection<{ _id: string; email: string }>('users')
        .insertMany([
          { _id: 'u1', email: 'same@example.com' },
          { _id: 'u2', email: 'same@example.com' },
        ]);
    } finally {
      await connection.close();
    }
  });

  afterAll(async () => {
    const connection = await mongoose.createConnection(MONGO_URL, { serverSelectionTimeoutMS: 3000 }).asPromise();
    await connection.useDb(`${run}identity`).dropDatabase();
    await connection.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('refuses with the service, the collection and the repair path, and stops everything', async () => {
    const [identityPort, conversationPort, aiGatewayPort, streamingPort, routerPort] = await freePorts(5);
    const refusal = await startDistributed({
      routerPorts: [routerPort as number],
      subgraphPorts: {
        identity: [identityPort as number],
        conversation: [conversationPort as number],
        'ai-gateway': [aiGatewayPort as number],
        streaming: [streamingPort as number],
      },
      mongoUrl: MONGO_URL,
      kafkaBrokers: KAFKA_BROKERS,
      redisUrl: REDIS_URL,
      mongoDbPrefix: run,
      redisKeyPrefix: `${run}:`,
      kafkaNamespace: `${run}.`,
      dataDir,
      logLevel: 'silent',
      stdio: 'ignore',
    }).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(Error);
    expect((refusal as Error).message).toMatch(
      /^identity exited with code 1: identity refused to start: its document store cannot open: MongoDB store cannot open collection users: cannot build unique index email_1 of users: stored documents already hold duplicate keys\..*chatgraph check --repair/,
    );
    await expect(fetch(`http://127.0.0.1:${identityPort}/healthz`)).rejects.toThrow();
  });
});
