/**
 * Conversation end to end: the one-process launcher behind `pnpm start` (every subgraph with
 * embedded stores and one shared bus, the router composed from them), driven over HTTP
 * through the router as a client would, with queries spanning both subgraphs. The scenarios of
 * conversationScenarios.ts (branching, fork, share/revoke, cross-user mutations) run on a copy of
 * that stack which keeps conversation's bus, to complete answers as ai-gateway would.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '@chatgraph/kit';
import { EMBEDDED_CONFIG_SPEC, startEmbedded, type EmbeddedStack } from '@chatgraph/launcher';
import { describeConversationScenarios, startEmbeddedWithBus, type RouterTarget } from './conversationScenarios';

let stack: EmbeddedStack;
let dataDir: string;

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

async function gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<Response<T>> {
  const res = await fetch(stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return (await res.json()) as Response<T>;
}

async function register(email: string, name: string): Promise<string> {
  const res = await gql<{ register: { accessToken: string } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
    {
      input: { email, name, password: 'a perfectly fine passphrase' },
    },
  );
  const token = res.data?.register.accessToken;
  if (!token) throw new Error(`register failed: ${JSON.stringify(res.errors)}`);
  return token;
}

beforeAll(async () => {
  dataDir = mkdtempSync(path.join(tmpdir(), 'chatgraph-e2e-conversation-'));
  const config = loadConfig(EMBEDDED_CONFIG_SPEC, { ROUTER_PORT: '0', DATA_DIR: dataDir, LOG_LEVEL: 'silent' });
  // The listing test below sends 50 messages at once; the per-user cap on open answers and the
  // router's `messages` rate limit (40 a minute) have their own tests.
  stack = await startEmbedded(config, {
    ARGON2_MEMORY_KIB: '4096',
    ARGON2_TIME_COST: '1',
    LOG_LEVEL: 'silent',
    MAX_OPEN_GENERATIONS_PER_USER: '100',
    RATE_LIMITS: 'off',
  });
});

afterAll(async () => {
  await stack.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('conversation through the router', () => {
  it('starts a conversation and reads it across identity and conversation; another user sees nothing', async () => {
    const ada = await register('ada@example.com', 'Ada Lovelace');
    const sent = await gql<{ sendMessage: { conversation: { id: string }; assistantMessage: { status: string }; streamId: string } }>(
      ada,
      'mutation { sendMessage(input: { content: "Hello there, engine" }) { conversation { id } assistantMessage { status } streamId } }',
    );
    expect(sent.errors).toBeUndefined();
    const id = sent.data?.sendMessage.conversation.id;
    expect(sent.data?.sendMessage.assistantMessage.status).toBe('PENDING');

    const query = 'query($id: ID!) { conversation(id: $id) { title owner { name } currentBranch { role content status } } }';
    const read = await gql<{ conversation: unknown }>(ada, query, { id });
    expect(read.errors).toBeUndefined();
    expect(read.data?.conversation).toEqual({
      title: 'Hello there, engine',
      owner: { name: 'Ada Lovelace' },
      currentBranch: [
        { role: 'USER', content: 'Hello there, engine', status: 'COMPLETE' },
        { role: 'ASSISTANT', content: '', status: 'PENDING' },
      ],
    });

    const mine = await gql<{ me: { id: string; conversations: { edges: Array<{ node: { id: string } }> } } }>(
      ada,
      '{ me { id conversations { edges { node { id } } } } }',
    );
    expect(mine.data?.me.conversations.edges.map((e) => e.node.id)).toEqual([id]);
    const adaId = mine.data?.me.id;

    const eve = await register('eve@example.com', 'Eve');
    const stolen = await gql<{ conversation: unknown }>(eve, query, { id });
    expect(stolen.data?.conversation).toBeNull();
    expect(JSON.stringify(stolen)).not.toContain('Hello there');
    const update = await gql(eve, 'mutation($id: ID!) { updateConversation(id: $id, input: { title: "mine now" }) { id } }', { id });
    expect(update.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const listing = await gql(eve, 'query($u: ID!) { user(id: $u) { name conversations { edges { node { id } } } } }', { u: adaId });
    expect(listing.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(JSON.stringify(listing)).not.toContain(String(id));
    const anonymous = await gql(undefined, query, { id });
    expect(anonymous.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('lists 50 conversations with their owners and last messages in one batched call to each subgraph', async () => {
    const grace = await register('grace@example.com', 'Grace Hopper');
    for (let i = 0; i < 50; i++) {
      const res = await gql(grace, 'mutation($c: String!) { sendMessage(input: { content: $c }) { streamId } }', { c: `question ${i}` });
      expect(res.errors).toBeUndefined();
    }
    const requests = async (metrics: { requests: { get(): Promise<{ values: Array<{ value: number }> }> } }) =>
      (await metrics.requests.get()).values.reduce((sum, v) => sum + v.value, 0);
    const identityBefore = await requests(stack.identity.subgraph.metrics);
    const conversationBefore = await requests(stack.conversation.subgraph.metrics);
    const res = await gql<{
      me: { conversations: { edges: Array<{ node: { owner: { name: string }; lastMessage: { content: string; status: string } } }> } };
    }>(grace, '{ me { conversations(first: 50) { edges { node { title owner { name } lastMessage { content status } } } } } }');
    expect(res.errors).toBeUndefined();
    const edges = res.data?.me.conversations.edges ?? [];
    expect(edges).toHaveLength(50);
    // The last message is the answer, which the local demo model of ai-gateway may be writing by now.
    expect(
      edges.every((e) => e.node.owner.name === 'Grace Hopper' && ['PENDING', 'STREAMING', 'COMPLETE'].includes(e.node.lastMessage.status)),
    ).toBe(true);
    // identity: `me`, then one _entities batch for all 50 owners; conversation: one _entities call.
    expect((await requests(stack.identity.subgraph.metrics)) - identityBefore).toBe(2);
    expect((await requests(stack.conversation.subgraph.metrics)) - conversationBefore).toBe(1);
  });
});

// Branching, fork, share/revoke and cross-user mutations; the same body runs on the distributed
// stack in conversation-distributed.real.test.ts.
describe('on the embedded stack, answers completed on its bus', () => {
  let scenarios: RouterTarget & { stop(): Promise<void> };
  beforeAll(async () => {
    scenarios = await startEmbeddedWithBus();
  });
  afterAll(() => scenarios?.stop());
  describeConversationScenarios(() => scenarios);
});
