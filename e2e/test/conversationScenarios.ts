/**
 * Conversation scenarios driven through the router as a client would (bearer tokens, one
 * supergraph URL): branching (edit, regenerate, switch branch), fork, share and revoke, and
 * another user's attempts on every mutation. The same body runs on the embedded stack
 * (conversation-through-router.test.ts) and on the distributed one, FerretDB + Kafka
 * (conversation-distributed.real.test.ts). The test plays ai-gateway: it completes answers by
 * publishing `generation.completed` on the stack's bus, then polls through the router.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createLogger } from '@chatgraph/kit';
import { createEmbeddedStore, type DocumentStore } from '@chatgraph/kit/store';
import { createEmbeddedEventBus, type EventBus } from '@chatgraph/kit/events';
import { createMailer } from '@chatgraph/kit/mail';
import { loadConversationConfig, buildConversation } from '@chatgraph/conversation';
import { loadIdentityConfig, buildIdentity } from '@chatgraph/identity';
import { buildRouter, loadRouterConfig, routerDepsFromConfig } from '@chatgraph/router';
import { aiGenerationV1, type EventEnvelope } from '@chatgraph/schema';

export interface RouterTarget {
  /** The router's `/graphql` URL. */
  url: string;
  /** Publishes an ai-gateway event on `ai.generation.v1`, keyed by conversation. */
  publish(event: EventEnvelope, conversationId: string): Promise<void>;
}

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

interface Turn {
  conversation: { id: string; title: string };
  userMessage: { id: string; parentId: string | null };
  assistantMessage: { id: string; parentId: string; status: string };
  streamId: string;
}

interface BranchMessage {
  id: string;
  role: string;
  content: string;
  status: string;
  siblingIndex: number;
  siblingCount: number;
}

const TURN = 'conversation { id title } userMessage { id parentId } assistantMessage { id parentId status } streamId';
const BRANCH = 'currentBranch { id role content status siblingIndex siblingCount }';
const SHARED = 'query($s: ID!) { sharedConversation(shareId: $s) { shareId title messages { role content } } }';

/**
 * Registers the scenarios for a stack `target()` returns once started. `pollMs` × `tries` bounds
 * every wait for the consumer.
 */
export function describeConversationScenarios(
  target: () => RouterTarget,
  { tries = 400, pollMs = 10, emailTag = 'router' }: { tries?: number; pollMs?: number; emailTag?: string } = {},
): void {
  async function gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Response<T>> {
    const res = await fetch(target().url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: JSON.stringify({ query, variables }),
    });
    return (await res.json()) as Response<T>;
  }

  async function data<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<T> {
    const body = await gql<T>(token, query, variables);
    if (body.errors?.length || !body.data) throw new Error(`unexpected errors: ${JSON.stringify(body.errors)}`);
    return body.data;
  }

  const codeOf = (res: Response<unknown>): unknown => res.errors?.[0]?.extensions?.code;

  async function register(local: string, name: string): Promise<{ token: string; userId: string }> {
    const { register: r } = await data<{ register: { accessToken: string; user: { id: string } } }>(
      undefined,
      'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
      { input: { email: `${local}-${emailTag}@example.com`, name, password: 'a perfectly fine passphrase' } },
    );
    return { token: r.accessToken, userId: r.user.id };
  }

  async function branchOf(token: string, id: string): Promise<BranchMessage[]> {
    return (
      await data<{ conversation: { currentBranch: BranchMessage[] } }>(token, `query($id: ID!) { conversation(id: $id) { ${BRANCH} } }`, {
        id,
      })
    ).conversation.currentBranch;
  }

  async function send(token: string, input: Record<string, unknown>): Promise<Turn> {
    return (
      await data<{ sendMessage: Turn }>(token, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN} } }`, { input })
    ).sendMessage;
  }

  /** Completes the turn's answer as ai-gateway would, and waits (bounded) until the router shows it. */
  async function answer(user: { token: string; userId: string }, turn: Turn, content: string): Promise<void> {
    const subject = {
      conversationId: turn.conversation.id,
      messageId: turn.assistantMessage.id,
      streamId: turn.streamId,
      ownerId: user.userId,
    };
    const payload = { content, finishReason: 'stop', model: 'local-demo', usage: { promptTokens: 5, completionTokens: 3, totalTokens: 8 } };
    await target().publish(aiGenerationV1.create('generation.completed', subject, payload), turn.conversation.id);
    const shown = async (): Promise<boolean> => {
      const res = await gql<{ conversation: { messages: { edges: Array<{ node: { id: string; status: string } }> } } | null }>(
        user.token,
        'query($id: ID!) { conversation(id: $id) { messages(first: 50) { edges { node { id status } } } } }',
        { id: turn.conversation.id },
      );
      return (
        res.data?.conversation?.messages.edges.some((e) => e.node.id === turn.assistantMessage.id && e.node.status === 'COMPLETE') === true
      );
    };
    for (let i = 0; i < tries && !(await shown()); i++) await new Promise((r) => setTimeout(r, pollMs));
    if (!(await shown())) throw new Error(`the answer "${content}" was not completed`);
  }

  describe('conversation scenarios through the router', () => {
    let ada: { token: string; userId: string };
    let eve: { token: string; userId: string };
    let first: Turn;
    let second: Turn;
    let edited: Turn;
    let regenerated: Turn;

    beforeAll(async () => {
      ada = await register('ada-scenarios', 'Ada Lovelace');
      eve = await register('eve-scenarios', 'Eve');
    }, 60_000);

    it('edits, regenerates and switches branches; currentBranch carries siblingIndex and siblingCount', async () => {
      first = await send(ada.token, { content: 'What is 2+2?' });
      const id = first.conversation.id;
      await answer(ada, first, '4');
      second = await send(ada.token, { conversationId: id, content: 'And 3+3?' });
      await answer(ada, second, '6');

      edited = (
        await data<{ editMessage: Turn }>(ada.token, `mutation($input: EditMessageInput!) { editMessage(input: $input) { ${TURN} } }`, {
          input: { messageId: second.userMessage.id, content: 'And 4+4?' },
        })
      ).editMessage;
      expect(edited.userMessage.parentId).toBe(first.assistantMessage.id);
      await answer(ada, edited, '8');
      let branch = await branchOf(ada.token, id);
      expect(branch.map((m) => m.content)).toEqual(['What is 2+2?', '4', 'And 4+4?', '8']);
      expect(branch.map((m) => [m.siblingIndex, m.siblingCount])).toEqual([
        [0, 1],
        [0, 1],
        [1, 2],
        [0, 1],
      ]);

      regenerated = (
        await data<{ regenerateMessage: Turn }>(ada.token, `mutation($id: ID!) { regenerateMessage(messageId: $id) { ${TURN} } }`, {
          id: edited.assistantMessage.id,
        })
      ).regenerateMessage;
      expect(regenerated.userMessage.id).toBe(edited.userMessage.id);
      expect(regenerated.assistantMessage.parentId).toBe(edited.userMessage.id);
      await answer(ada, regenerated, 'eight');
      branch = await branchOf(ada.token, id);
      expect(branch.map((m) => m.content)).toEqual(['What is 2+2?', '4', 'And 4+4?', 'eight']);
      expect(branch[3]).toMatchObject({ id: regenerated.assistantMessage.id, siblingIndex: 1, siblingCount: 2 });

      // Back to the original question: setActiveMessage answers with the conversation on its new branch.
      const switched = await data<{ setActiveMessage: { currentBranch: BranchMessage[] } }>(
        ada.token,
        `mutation($id: ID!) { setActiveMessage(messageId: $id) { ${BRANCH} } }`,
        { id: second.userMessage.id },
      );
      expect(switched.setActiveMessage.currentBranch.map((m) => m.content)).toEqual(['What is 2+2?', '4', 'And 3+3?', '6']);
      expect(switched.setActiveMessage.currentBranch[2]).toMatchObject({ id: second.userMessage.id, siblingIndex: 0, siblingCount: 2 });
      expect((await branchOf(ada.token, id)).map((m) => m.id)).toEqual([
        first.userMessage.id,
        first.assistantMessage.id,
        second.userMessage.id,
        second.assistantMessage.id,
      ]);

      const third = await send(ada.token, { conversationId: id, content: 'Thanks' });
      expect(third.userMessage.parentId).toBe(second.assistantMessage.id);
      await answer(ada, third, 'You are welcome.');
    });

    it('forks the path up to a message into a new conversation; another user cannot', async () => {
      const fork = await data<{
        forkConversation: { id: string; title: string; owner: { name: string }; currentBranch: Array<{ content: string; status: string }> };
      }>(ada.token, 'mutation($m: ID!) { forkConversation(messageId: $m) { id title owner { name } currentBranch { content status } } }', {
        m: edited.assistantMessage.id,
      });
      expect(fork.forkConversation.id).not.toBe(first.conversation.id);
      expect(fork.forkConversation).toMatchObject({
        title: 'What is 2+2? (fork)',
        owner: { name: 'Ada Lovelace' },
        currentBranch: [
          { content: 'What is 2+2?', status: 'COMPLETE' },
          { content: '4', status: 'COMPLETE' },
          { content: 'And 4+4?', status: 'COMPLETE' },
          { content: '8', status: 'COMPLETE' },
        ],
      });
      const stolen = await gql(eve.token, 'mutation($m: ID!) { forkConversation(messageId: $m) { id } }', {
        m: edited.assistantMessage.id,
      });
      expect(codeOf(stolen)).toBe('NOT_FOUND');
      expect(JSON.stringify(stolen)).not.toContain('2+2');
    });

    it('shares a snapshot anonymous callers can read until the owner revokes it', async () => {
      const link = (
        await data<{ shareConversation: { shareId: string; conversationId: string } }>(
          ada.token,
          'mutation($id: ID!) { shareConversation(id: $id) { shareId conversationId } }',
          { id: first.conversation.id },
        )
      ).shareConversation;
      expect(link.conversationId).toBe(first.conversation.id);
      const read = await gql<{ sharedConversation: unknown }>(undefined, SHARED, { s: link.shareId });
      expect(read.errors).toBeUndefined();
      expect(read.data?.sharedConversation).toEqual({
        shareId: link.shareId,
        title: 'What is 2+2?',
        messages: [
          { role: 'USER', content: 'What is 2+2?' },
          { role: 'ASSISTANT', content: '4' },
          { role: 'USER', content: 'And 3+3?' },
          { role: 'ASSISTANT', content: '6' },
          { role: 'USER', content: 'Thanks' },
          { role: 'ASSISTANT', content: 'You are welcome.' },
        ],
      });
      expect(JSON.stringify(read)).not.toContain(ada.userId);

      expect(
        codeOf(await gql(eve.token, 'mutation($id: ID!) { shareConversation(id: $id) { shareId } }', { id: first.conversation.id })),
      ).toBe('NOT_FOUND');
      expect(codeOf(await gql(eve.token, 'mutation($s: ID!) { revokeShare(shareId: $s) { revoked } }', { s: link.shareId }))).toBe(
        'NOT_FOUND',
      );
      expect((await gql<{ sharedConversation: unknown }>(undefined, SHARED, { s: link.shareId })).data?.sharedConversation).not.toBeNull();
      expect(
        (
          await data<{ revokeShare: { revoked: boolean } }>(ada.token, 'mutation($s: ID!) { revokeShare(shareId: $s) { revoked } }', {
            s: link.shareId,
          })
        ).revokeShare.revoked,
      ).toBe(true);
      const revoked = await gql<{ sharedConversation: unknown }>(undefined, SHARED, { s: link.shareId });
      expect(revoked.errors).toBeUndefined();
      expect(revoked.data?.sharedConversation).toBeNull();
      expect(
        (
          await data<{ revokeShare: { revoked: boolean } }>(ada.token, 'mutation($s: ID!) { revokeShare(shareId: $s) { revoked } }', {
            s: link.shareId,
          })
        ).revokeShare.revoked,
      ).toBe(false);
    });

    it("every mutation on another user's conversation or message is NOT_FOUND and changes nothing", async () => {
      const id = first.conversation.id;
      const state = async () =>
        data<{ conversation: unknown }>(
          ada.token,
          `query($id: ID!) { conversation(id: $id) { title pinned tags ${BRANCH} messages(first: 50) { edges { node { id content status feedback { rating } } } } } }`,
          { id },
        );
      const before = await state();
      const attempts = [
        gql(eve.token, 'mutation($id: ID!) { updateConversation(id: $id, input: { title: "pwned", pinned: true }) { id } }', { id }),
        gql(eve.token, 'mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId } }', { id }),
        gql(eve.token, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }', {
          i: { conversationId: id, content: 'hi' },
        }),
        gql(eve.token, 'mutation($i: EditMessageInput!) { editMessage(input: $i) { streamId } }', {
          i: { messageId: second.userMessage.id, content: 'hi' },
        }),
        gql(eve.token, 'mutation($id: ID!) { regenerateMessage(messageId: $id) { streamId } }', { id: second.assistantMessage.id }),
        gql(eve.token, 'mutation($id: ID!) { setActiveMessage(messageId: $id) { id } }', { id: regenerated.assistantMessage.id }),
        gql(eve.token, 'mutation($m: ID!) { forkConversation(messageId: $m) { id } }', { m: second.assistantMessage.id }),
        gql(eve.token, 'mutation($id: ID!) { shareConversation(id: $id) { shareId } }', { id }),
        gql(eve.token, 'mutation($m: ID!) { setFeedback(messageId: $m, rating: THUMBS_DOWN) { id } }', { m: second.assistantMessage.id }),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(codeOf(res)).toBe('NOT_FOUND');
        expect(JSON.stringify(res)).not.toContain('2+2');
      }
      // Sending under a foreign parent from one's own conversation is refused as well.
      const own = (await data<{ createConversation: { id: string } }>(eve.token, 'mutation { createConversation { id } }'))
        .createConversation;
      expect(
        codeOf(
          await gql(eve.token, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }', {
            i: { conversationId: own.id, parentId: second.assistantMessage.id, content: 'hi' },
          }),
        ),
      ).toBe('BAD_USER_INPUT');
      // Anonymous callers are turned away before reaching anything.
      expect(codeOf(await gql(undefined, 'mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId } }', { id }))).toBe(
        'UNAUTHENTICATED',
      );
      expect(await state()).toEqual(before);
    });
  });
}

/**
 * The embedded supergraph as `startEmbedded` builds it (identity and conversation on embedded
 * adapters, router composed from both), but keeping conversation's bus so the test can publish
 * generation outcomes on it: the embedded bus is single-process and locks its directory.
 */
export async function startEmbeddedWithBus(): Promise<RouterTarget & { stop(): Promise<void>; conversationStore: DocumentStore }> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-scenarios-'));
  const logger = (name: string) => createLogger({ name, level: 'silent' });
  const shared = {
    INTERNAL_SIGNING_SECRET: 'e2e-scenarios-signing-secret-0123456789',
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
  };
  const cleanups: Array<() => Promise<void>> = [async () => rmSync(dataDir, { recursive: true, force: true })];
  const stop = async (): Promise<void> => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  };
  try {
    const identityConfig = loadIdentityConfig({ ...shared, IDENTITY_PORT: '0' });
    const identityStore = createEmbeddedStore({ dataDir: path.join(dataDir, 'identity'), logger: logger('identity') });
    await identityStore.start();
    cleanups.push(() => identityStore.stop());
    const mailer = createMailer({
      kind: 'file',
      dataDir: path.join(dataDir, 'identity'),
      from: identityConfig.MAIL_FROM,
      logger: logger('identity'),
    });
    const identity = buildIdentity({ store: identityStore, mailer, config: identityConfig, logger: logger('identity') });
    const identityUrl = await identity.start(0);
    cleanups.push(() => identity.stop());

    const conversationConfig = loadConversationConfig({ ...shared, CONVERSATION_PORT: '0' });
    const store = createEmbeddedStore({ dataDir: path.join(dataDir, 'conversation'), logger: logger('conversation') });
    await store.start();
    cleanups.push(() => store.stop());
    const bus: EventBus = createEmbeddedEventBus({ dataDir: path.join(dataDir, 'conversation', 'events'), logger: logger('conversation') });
    await bus.start();
    cleanups.push(() => bus.stop());
    const conversation = buildConversation({ store, bus, config: conversationConfig, logger: logger('conversation') });
    const conversationUrl = await conversation.start(0);
    cleanups.push(() => conversation.stop());

    const routerConfig = loadRouterConfig({
      ...shared,
      ROUTER_PORT: '0',
      IDENTITY_URL: identityUrl,
      SUBGRAPH_URLS: `identity=${identityUrl}/graphql,conversation=${conversationUrl}/graphql`,
    });
    const router = buildRouter(routerDepsFromConfig(routerConfig, logger('router')));
    const base = await router.start(0);
    cleanups.push(() => router.stop());
    return {
      url: `${base}/graphql`,
      publish: async (event, conversationId) => void (await bus.publish(aiGenerationV1.topic, [{ key: conversationId, event }])),
      stop,
      // Tests that need a long history seed it here rather than through thousands of turns.
      conversationStore: store,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}
