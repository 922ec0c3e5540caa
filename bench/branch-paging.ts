/**
 * A chat view opening a long conversation, through the router (identity + conversation, embedded
 * stores, in this process): one conversation whose active branch is `BRANCH_LENGTH` (2,000)
 * messages deep, plus an abandoned sibling at every 10th level. Timed over `ROUNDS` (30) calls each,
 * with the bytes of one response:
 *
 * - the newest 50 via `branch(last: 50)` (absent before the field existed: printed as such);
 * - the whole active path via `currentBranch` (before `branch`, the only way to get the newest 50);
 * - the full tree via `messages(first: 200)`, every page following `endCursor`.
 *
 *   pnpm bench:branch-paging
 *   BRANCH_LENGTH=2000 ROUNDS=30 pnpm bench:branch-paging
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger, newId } from '@chatgraph/kit';
import { createEmbeddedStore } from '@chatgraph/kit/store';
import { createEmbeddedEventBus } from '@chatgraph/kit/events';
import { createMailer } from '@chatgraph/kit/mail';
import { buildRouter, loadRouterConfig, routerDepsFromConfig } from '@chatgraph/router';
import { loadConversationConfig, buildConversation, conversationCollections, type MessageDoc } from '@chatgraph/conversation';
import { loadIdentityConfig, buildIdentity } from '@chatgraph/identity';

const BRANCH_LENGTH = Number(process.env.BRANCH_LENGTH ?? 2_000);
const ROUNDS = Number(process.env.ROUNDS ?? 30);
const FIELDS = 'id role content status createdAt';

interface Answer {
  data?: Record<string, unknown> | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bench-branch-paging-'));
  const logger = (name: string) => createLogger({ name, level: 'silent' });
  const shared = {
    INTERNAL_SIGNING_SECRET: 'bench-branch-paging-secret-0123456789',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
  };
  const stops: Array<() => Promise<void>> = [async () => rmSync(dataDir, { recursive: true, force: true })];
  try {
    const identityStore = createEmbeddedStore({ dataDir: path.join(dataDir, 'identity'), logger: logger('identity') });
    await identityStore.start();
    stops.push(() => identityStore.stop());
    const identityConfig = loadIdentityConfig({ ...shared, IDENTITY_PORT: '0' });
    const mailer = createMailer({
      kind: 'file',
      dataDir: path.join(dataDir, 'identity'),
      from: identityConfig.MAIL_FROM,
      logger: logger('identity'),
    });
    const identity = buildIdentity({ store: identityStore, mailer, config: identityConfig, logger: logger('identity') });
    const identityUrl = await identity.start(0);
    stops.push(() => identity.stop());
    const store = createEmbeddedStore({ dataDir: path.join(dataDir, 'conversation'), logger: logger('conversation') });
    await store.start();
    stops.push(() => store.stop());
    const bus = createEmbeddedEventBus({ dataDir: path.join(dataDir, 'conversation', 'events'), logger: logger('conversation') });
    await bus.start();
    stops.push(() => bus.stop());
    const conversation = buildConversation({
      store,
      bus,
      config: loadConversationConfig({ ...shared, CONVERSATION_PORT: '0' }),
      logger: logger('conversation'),
    });
    const conversationUrl = await conversation.start(0);
    stops.push(() => conversation.stop());
    const router = buildRouter(
      routerDepsFromConfig(
        loadRouterConfig({
          ...shared,
          ROUTER_PORT: '0',
          IDENTITY_URL: identityUrl,
          SUBGRAPH_URLS: `identity=${identityUrl}/graphql,conversation=${conversationUrl}/graphql`,
        }),
        logger('router'),
      ),
    );
    const url = `${await router.start(0)}/graphql`;
    stops.push(() => router.stop());

    const post = async (
      token: string | undefined,
      query: string,
      variables?: Record<string, unknown>,
    ): Promise<{ answer: Answer; bytes: number }> => {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      const text = await res.text();
      return { answer: JSON.parse(text) as Answer, bytes: Buffer.byteLength(text) };
    };
    const registered = await post(
      undefined,
      'mutation { register(input: { email: "bench@example.com", name: "Bench", password: "a perfectly fine passphrase" }) { accessToken user { id } } }',
    );
    const { accessToken: token, user } = (registered.answer.data as { register: { accessToken: string; user: { id: string } } }).register;
    const created = await post(token, 'mutation { createConversation(input: { title: "long" }) { id } }');
    const id = (created.answer.data as { createConversation: { id: string } }).createConversation.id;

    // Seed the branch straight into conversation's store (2,000 turns through the API would measure sending).
    const docs: MessageDoc[] = [];
    let parentId: string | null = null;
    for (let depth = 0; depth < BRANCH_LENGTH; depth++) {
      const at = new Date(1_700_000_000_000 + depth * 10);
      const base = {
        conversationId: id,
        ownerId: user.id,
        parentId,
        role: depth % 2 === 0 ? ('USER' as const) : ('ASSISTANT' as const),
        status: 'COMPLETE' as const,
        streamId: null,
        model: null,
        tokenCount: null,
        finishReason: null,
        feedback: null,
        fileIds: [],
        depth,
        createdAt: at,
        updatedAt: at,
      };
      if (depth % 10 === 9) docs.push({ ...base, _id: newId(), content: `an abandoned answer at ${depth}` });
      const onPath: MessageDoc = { ...base, _id: newId(), content: `message ${depth}: ${'lorem ipsum dolor sit amet '.repeat(8)}` };
      docs.push(onPath);
      parentId = onPath._id;
    }
    const collections = conversationCollections(store);
    for (let i = 0; i < docs.length; i += 500) await collections.messages.insertMany(docs.slice(i, i + 500));
    await collections.conversations.updateOne({ _id: id }, { $set: { activeLeafId: parentId, lastMessageId: parentId } });

    /** Median and max ms of `op` over ROUNDS calls, and the bytes and outcome of the last call. */
    const measure = async (op: () => Promise<{ bytes: number; requests: number; error?: string }>): Promise<string> => {
      await op(); // warm-up
      const times: number[] = [];
      let last = { bytes: 0, requests: 0 } as { bytes: number; requests: number; error?: string };
      for (let i = 0; i < ROUNDS; i++) {
        const start = process.hrtime.bigint();
        last = await op();
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      if (last.error) return `unavailable (${last.error})`;
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)] ?? 0;
      return `median ${median.toFixed(1).padStart(7)} ms  max ${(times[times.length - 1] ?? 0).toFixed(1).padStart(7)} ms  ${String(last.bytes).padStart(9)} bytes  ${last.requests} request(s)`;
    };
    const errorOf = (answer: Answer): string | undefined =>
      answer.errors ? `${answer.errors[0]?.extensions?.code ?? ''} ${answer.errors[0]?.message ?? ''}`.trim() : undefined;

    const paged = async () => {
      const { answer, bytes } = await post(
        token,
        `query($id: ID!) { conversation(id: $id) { branch(last: 50) { totalCount edges { cursor node { ${FIELDS} } } pageInfo { hasPreviousPage startCursor } } } }`,
        { id },
      );
      return { bytes, requests: 1, error: errorOf(answer) };
    };
    const wholePath = async () => {
      const { answer, bytes } = await post(token, `query($id: ID!) { conversation(id: $id) { currentBranch { ${FIELDS} } } }`, { id });
      return { bytes, requests: 1, error: errorOf(answer) };
    };
    const wholeTree = async () => {
      let after: string | null = null;
      let bytes = 0;
      let requests = 0;
      for (;;) {
        const { answer, bytes: size } = await post(
          token,
          `query($id: ID!, $after: String) { conversation(id: $id) { messages(first: 200, after: $after) { edges { node { ${FIELDS} } } pageInfo { hasNextPage endCursor } } } }`,
          { id, after },
        );
        bytes += size;
        requests++;
        const error = errorOf(answer);
        if (error) return { bytes, requests, error };
        const page = (answer.data as { conversation: { messages: { pageInfo: { hasNextPage: boolean; endCursor: string } } } }).conversation
          .messages.pageInfo;
        if (!page.hasNextPage) return { bytes, requests };
        after = page.endCursor;
      }
    };

    console.log(`\nbranch of ${BRANCH_LENGTH} messages (${docs.length} in the tree), through the router, ${ROUNDS} rounds each`);
    console.log(`  newest 50: branch(last: 50)                ${await measure(paged)}`);
    console.log(`  newest 50: currentBranch (whole path)       ${await measure(wholePath)}`);
    console.log(`  full tree: messages(first: 200), all pages  ${await measure(wholeTree)}`);
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

void main();
