/**
 * Document-store throughput, embedded adapter vs a MongoDB-compatible server (the MongoDB
 * adapter; FerretDB from `scripts/infra/mongo.sh up` by default, `MONGO_URL` for another):
 * inserts (one at a time, and 16 in flight), an indexed query, and an update by id. One run,
 * same process, same data; figures include the machine's other load.
 *
 *   pnpm tsx bench/document-store.ts        (BENCH_DOCS, default 2000)
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import { createEmbeddedStore, createMongoStore, type Collection, type CollectionSpec, type DocumentStore, type StoredDocument } from '@chatgraph/kit';

interface Message extends StoredDocument {
  conversationId: string;
  text: string;
  createdAt: Date;
  tokens: number;
}

const spec: CollectionSpec<Message> = {
  name: 'bench_messages',
  schema: new Schema<Message>(
    { _id: { type: String }, conversationId: { type: String, required: true }, text: { type: String, required: true }, createdAt: { type: Date, required: true }, tokens: { type: Number, default: 0 } },
    { versionKey: false },
  ),
  indexes: [{ fields: { conversationId: 1, createdAt: -1 } }],
};

const DOCS = Number(process.env.BENCH_DOCS ?? 2000);
const CONVERSATIONS = 50;

function message(i: number): Message {
  return { _id: `m${i}`, conversationId: `c${i % CONVERSATIONS}`, text: randomBytes(60).toString('base64'), createdAt: new Date(1_700_000_000_000 + i), tokens: 0 };
}

/** Runs `count` operations, `parallel` in flight at a time; returns operations per second. */
async function rate(count: number, parallel: number, op: (i: number) => Promise<unknown>): Promise<number> {
  let next = 0;
  const start = process.hrtime.bigint();
  await Promise.all(
    Array.from({ length: parallel }, async () => {
      while (next < count) await op(next++);
    }),
  );
  return count / (Number(process.hrtime.bigint() - start) / 1e9);
}

async function measure(name: string, store: DocumentStore): Promise<Record<string, number>> {
  const messages: Collection<Message> = store.collection(spec);
  await store.start();
  try {
    const half = Math.floor(DOCS / 2);
    const figures = {
      'insertOne, 1 in flight': await rate(half, 1, (i) => messages.insertOne(message(i))),
      'insertOne, 16 in flight': await rate(DOCS - half, 16, (i) => messages.insertOne(message(half + i))),
      'indexed query (20 newest of a conversation)': await rate(500, 4, (i) => messages.find({ conversationId: `c${i % CONVERSATIONS}` }, { sort: { createdAt: -1 }, limit: 20 })),
      'updateOne $inc by _id': await rate(500, 4, (i) => messages.updateOne({ _id: `m${(i * 7) % DOCS}` }, { $inc: { tokens: 1 } })),
    };
    console.log(`\n${name}`);
    for (const [label, value] of Object.entries(figures)) console.log(`  ${label.padEnd(46)} ${value.toFixed(0).padStart(8)} ops/s`);
    return figures;
  } finally {
    await store.stop();
  }
}

async function main(): Promise<void> {
  const url = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27027';
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-store-'));
  const dbName = `bench_store_${randomBytes(4).toString('hex')}`;
  console.log(`document store, ${DOCS} documents, Node ${process.version}`);
  try {
    const embedded = await measure('embedded (data directory, fsynced group commits)', createEmbeddedStore({ dataDir }));
    const server = await measure(`MongoDB adapter on ${url}`, createMongoStore({ uri: url, dbName }));
    console.log('\nembedded / server');
    for (const label of Object.keys(embedded)) console.log(`  ${label.padEnd(46)} ${((embedded[label] ?? 0) / (server[label] ?? 1)).toFixed(1).padStart(8)}x`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
    const connection = await mongoose.createConnection(url, { serverSelectionTimeoutMS: 3000 }).asPromise();
    await connection.useDb(dbName).dropDatabase();
    await connection.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
