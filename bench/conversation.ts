/**
 * Conversation reads at size, embedded store (and a MongoDB-compatible server when `MONGO_URL`
 * is set): `currentBranch` and message paging on one conversation of 10,000 messages (a branch
 * 1,000 deep with 9 sibling answers at every level), and `User.conversations` paging with 5,000
 * conversations for one user. Each figure is p50/p99 over `BENCH_RUNS` calls (default 200), each
 * call with fresh per-request loaders, as in a request. Figures include the machine's other load.
 *
 *   pnpm bench:conversation
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { LoaderRegistry, newId, type UserPrincipal } from '@chatgraph/kit';
import { createEmbeddedStore, createMongoStore, type DocumentStore } from '@chatgraph/kit/store';
import { ConversationReads, conversationCollections, type ConversationDoc, type MessageDoc } from '@chatgraph/conversation';

const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const DEPTH = 1_000;
const SIBLINGS = 9;
const CONVERSATIONS = 5_000;
const owner: UserPrincipal = { kind: 'user', userId: 'bench-user', role: 'USER', via: 'jwt' };

function conversation(i: number, leaf: string | null): ConversationDoc {
  const at = new Date(1_700_000_000_000 + i * 1000);
  return {
    _id: newId(),
    ownerId: owner.userId,
    title: `conversation ${i}`,
    pinned: false,
    archived: false,
    tags: [],
    model: null,
    assistantId: null,
    systemPrompt: null,
    activeLeafId: leaf,
    lastMessageId: leaf,
    createdAt: at,
    updatedAt: at,
    lastActivityAt: at,
  };
}

function message(conversationId: string, parentId: string | null, depth: number, n: number): MessageDoc {
  const at = new Date(1_700_000_000_000 + n);
  return {
    _id: newId(),
    conversationId,
    ownerId: owner.userId,
    parentId,
    role: depth % 2 === 0 ? 'USER' : 'ASSISTANT',
    content: randomBytes(90).toString('base64'),
    status: 'COMPLETE',
    streamId: null,
    model: null,
    tokenCount: null,
    finishReason: null,
    feedback: null,
    depth,
    createdAt: at,
    updatedAt: at,
  };
}

/** p50 and p99 of `op`, in milliseconds. */
async function percentiles(op: (i: number) => Promise<unknown>): Promise<string> {
  const times: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    await op(i);
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => (times[Math.min(times.length - 1, Math.floor(q * times.length))] ?? 0).toFixed(2);
  return `p50 ${at(0.5).padStart(8)} ms   p99 ${at(0.99).padStart(8)} ms`;
}

async function measure(name: string, store: DocumentStore): Promise<void> {
  const collections = conversationCollections(store);
  await store.start();
  try {
    const big = conversation(-1, null);
    const messages: MessageDoc[] = [];
    let parent: string | null = null;
    for (let depth = 0; depth < DEPTH; depth++) {
      const siblings = Array.from({ length: SIBLINGS + 1 }, (_, s) => message(big._id, parent, depth, messages.length + s));
      messages.push(...siblings);
      parent = siblings[siblings.length - 1]?._id ?? null;
    }
    for (let i = 0; i < messages.length; i += 500) await collections.messages.insertMany(messages.slice(i, i + 500));
    await collections.conversations.insertOne({ ...big, activeLeafId: parent, lastMessageId: parent });
    const many = Array.from({ length: CONVERSATIONS }, (_, i) => conversation(i, null));
    for (let i = 0; i < many.length; i += 500) await collections.conversations.insertMany(many.slice(i, i + 500));

    const reads = new ConversationReads(collections);
    const stored = (await collections.conversations.findById(big._id)) as ConversationDoc;
    const deepCursor = (await reads.messagesOf(stored, { first: 200 })).pageInfo.endCursor;
    const listCursor = (await reads.conversationsOf(owner, owner.userId, { first: 100 }, null)).pageInfo.endCursor;
    console.log(`\n${name}`);
    console.log(
      `  currentBranch (1,000 of 10,000 messages)        ${await percentiles(() => reads.currentBranch(stored, new LoaderRegistry()))}`,
    );
    console.log(`  messages(first: 50), first page                 ${await percentiles(() => reads.messagesOf(stored, { first: 50 }))}`);
    console.log(
      `  messages(first: 50, after: 200th)               ${await percentiles(() => reads.messagesOf(stored, { first: 50, after: deepCursor }))}`,
    );
    console.log(
      `  conversations(first: 20) of 5,001               ${await percentiles(() => reads.conversationsOf(owner, owner.userId, { first: 20 }, null))}`,
    );
    console.log(
      `  conversations(first: 20, after: 100th)          ${await percentiles(() => reads.conversationsOf(owner, owner.userId, { first: 20, after: listCursor }, null))}`,
    );
  } finally {
    await store.stop();
  }
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-conversation-'));
  console.log(`conversation reads, ${RUNS} runs each, Node ${process.version}`);
  try {
    await measure('embedded store', createEmbeddedStore({ dataDir }));
    const url = process.env.MONGO_URL;
    if (url)
      await measure(
        `MongoDB adapter on ${url}`,
        createMongoStore({ uri: url, dbName: `bench_conversation_${randomBytes(4).toString('hex')}` }),
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
