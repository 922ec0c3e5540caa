/**
 * conversation's record of a requested generation (src/streamRequested.ts): written before
 * `sendMessage` (and regenerate) return the streamId, so streaming can tell a pending generation
 * from an unknown id without waiting.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createEmbeddedEventBus, createEmbeddedKv, createEmbeddedStore, createLogger, signedGraphQL, type EventBus, type KvStore } from '@chatgraph/kit';
import { parseTokenStreamRequest, tokenStreamRequestKey } from '@chatgraph/schema';
import { loadConversationConfig } from '../src/config';
import { buildConversation, type Conversation } from '../src/server';
import { SECRET, TURN_FIELDS, userPrincipal, type SentTurn } from './harness';

const alice = userPrincipal('alice');
let dataDir: string;
let kv: KvStore;
let bus: EventBus;
let conversation: Conversation;
let stopStore: () => Promise<void>;

beforeAll(async () => {
  dataDir = await mkdtemp(path.join(tmpdir(), 'conversation-requested-'));
  const logger = createLogger({ name: 'conversation', level: 'silent' });
  const config = loadConversationConfig({ INTERNAL_SIGNING_SECRET: SECRET, DATA_DIR: dataDir });
  const store = createEmbeddedStore({ dataDir: path.join(dataDir, 'store'), logger });
  bus = createEmbeddedEventBus({ dataDir: path.join(dataDir, 'events'), logger });
  kv = createEmbeddedKv({ logger });
  await Promise.all([store.start(), bus.start(), kv.start()]);
  stopStore = () => store.stop();
  conversation = buildConversation({ store, bus, kv, config, logger, relayPollMs: 50 });
  await conversation.start(0);
});

afterAll(async () => {
  await conversation?.stop();
  await bus?.stop();
  await kv?.stop();
  await stopStore?.();
  await rm(dataDir, { recursive: true, force: true });
});

const record = async (streamId: string) => {
  const raw = await kv.get(tokenStreamRequestKey(streamId));
  return raw === null ? undefined : parseTokenStreamRequest(raw);
};

it('records the requested generation (owner, conversation, message) by the time sendMessage returns its streamId', async () => {
  const res = await signedGraphQL<{ sendMessage: SentTurn }>(`${conversation.url}/graphql`, SECRET, alice, `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`, { input: { content: 'Hello' } });
  const turn = res.data?.sendMessage;
  if (!turn) throw new Error(JSON.stringify(res.errors));
  expect(await record(turn.streamId)).toEqual({ streamId: turn.streamId, ownerId: 'alice', conversationId: turn.conversation.id, messageId: turn.assistantMessage.id, requestedAt: expect.any(String) });
});
