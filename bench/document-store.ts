/**
 * Document-store throughput, embedded adapter vs a MongoDB-compatible server (the MongoDB
 * adapter; FerretDB from `scripts/infra/mongo.sh up` by default, `MONGO_URL` for another):
 * inserts (one at a time, and 16 in flight), an indexed query, and an update by id. One run,
 * same process, same data; figures include the machine's other load.
 *
 * Also the embedded store's start-up time with BENCH_STARTUP_DOCS documents (default 100,000):
 * written once, the store stopped, then timed from `createEmbeddedStore` to the first answered
 * indexed query (best of 3 starts), with the data directory's size on disk.
 *
 *   pnpm tsx bench/document-store.ts        (BENCH_DOCS, default 2000; BENCH_STARTUP_DOCS)
 */
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import mongoose, { Schema } from 'mongoose';
import {
  createEmbeddedStore,
  createMongoStore,
  type Collection,
  type CollectionSpec,
  type DocumentStore,
  type StoredDocument,
} from '@chatgraph/kit/store';

interface Message extends StoredDocument {
  conversationId: string;
  text: string;
  createdAt: Date;
  tokens: number;
}

const spec: CollectionSpec<Message> = {
  name: 'bench_messages',
  schema: new Schema<Message>(
    {
      _id: { type: String },
      conversationId: { type: String, required: true },
      text: { type: String, required: true },
      createdAt: { type: Date, required: true },
      tokens: { type: Number, default: 0 },
    },
    { versionKey: false },
  ),
  indexes: [{ fields: { conversationId: 1, createdAt: -1 } }],
};

const DOCS = Number(process.env.BENCH_DOCS ?? 2000);
const STARTUP_DOCS = Number(process.env.BENCH_STARTUP_DOCS ?? 100_000);
const CONVERSATIONS = 50;

function message(i: number): Message {
  return {
    _id: `m${i}`,
    conversationId: `c${i % CONVERSATIONS}`,
    text: randomBytes(60).toString('base64'),
    createdAt: new Date(1_700_000_000_000 + i),
    tokens: 0,
  };
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
      'indexed query (20 newest of a conversation)': await rate(500, 4, (i) =>
        messages.find({ conversationId: `c${i % CONVERSATIONS}` }, { sort: { createdAt: -1 }, limit: 20 }),
      ),
      'updateOne $inc by _id': await rate(500, 4, (i) => messages.updateOne({ _id: `m${(i * 7) % DOCS}` }, { $inc: { tokens: 1 } })),
    };
    console.log(`\n${name}`);
    for (const [label, value] of Object.entries(figures)) console.log(`  ${label.padEnd(46)} ${value.toFixed(0).padStart(8)} ops/s`);
    return figures;
  } finally {
    await store.stop();
  }
}

function diskBytes(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .reduce((sum, entry) => sum + statSync(join(entry.parentPath, entry.name)).size, 0);
}

/** Start-up of the embedded store on a data directory holding STARTUP_DOCS documents. */
async function measureStartup(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-store-startup-'));
  try {
    const writer = createEmbeddedStore({ dataDir });
    const messages = writer.collection(spec);
    await writer.start();
    for (let i = 0; i < STARTUP_DOCS; i += 1000) {
      await messages.insertMany(Array.from({ length: Math.min(1000, STARTUP_DOCS - i) }, (_, j) => message(i + j)));
    }
    await writer.stop();
    let best = Infinity;
    let found = 0;
    for (let run = 0; run < 3; run++) {
      const start = process.hrtime.bigint();
      const store = createEmbeddedStore({ dataDir });
      const reader = store.collection(spec);
      await store.start();
      found = (await reader.find({ conversationId: 'c1' }, { sort: { createdAt: -1 }, limit: 20 })).length;
      best = Math.min(best, Number(process.hrtime.bigint() - start) / 1e6);
      await store.stop();
    }
    console.log(`\nembedded start-up with ${STARTUP_DOCS} documents (${(diskBytes(dataDir) / 1048576).toFixed(1)} MiB on disk)`);
    console.log(`  ${'start() to first indexed query (best of 3)'.padEnd(46)} ${best.toFixed(0).padStart(8)} ms (${found} found)`);
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const url = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27027';
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-store-'));
  const dbName = `bench_store_${randomBytes(4).toString('hex')}`;
  console.log(`document store, ${DOCS} documents, Node ${process.version}`);
  try {
    const embedded = await measure('embedded (data directory, fsynced group commits)', createEmbeddedStore({ dataDir }));
    await measureStartup();
    const server = await measure(`MongoDB adapter on ${url}`, createMongoStore({ uri: url, dbName }));
    console.log('\nembedded / server');
    for (const label of Object.keys(embedded))
      console.log(`  ${label.padEnd(46)} ${((embedded[label] ?? 0) / (server[label] ?? 1)).toFixed(1).padStart(8)}x`);
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
