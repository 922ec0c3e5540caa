/**
 * Conversation in distributed mode: identity, conversation and the router in their own processes
 * on FerretDB and Kafka, driven through the router as a client would. This test plays ai-gateway:
 * it publishes generation outcomes on Kafka with the `ai.generation.v1` contract, and shows that a
 * duplicate and an out-of-order outcome change nothing.
 */
import { createLogger } from '@chatgraph/kit';
import { createKafkaEventBus, type EventBus } from '@chatgraph/kit/events';
import { aiGenerationV1, type EventEnvelope } from '@chatgraph/schema';
import { describeConversationScenarios } from './conversationScenarios';
import { KAFKA_BROKERS, startTestStack, type TestStack } from './distributedStack';

interface Response<T> {
  data?: T | null;
  errors?: Array<{ message: string; extensions?: { code?: string } }>;
}

interface Turn {
  conversation: { id: string };
  assistantMessage: { id: string; status: string };
  streamId: string;
}

interface Branch {
  conversation: { owner: { name: string }; currentBranch: Array<{ role: string; content: string; status: string }> } | null;
}

const BRANCH = 'query($id: ID!) { conversation(id: $id) { owner { name } currentBranch { role content status } } }';
const SEND =
  'mutation($input: SendMessageInput!) { sendMessage(input: $input) { conversation { id } assistantMessage { id status } streamId } }';

let running: TestStack;
let gateway: EventBus;

async function gql<T>(token: string | undefined, query: string, variables?: Record<string, unknown>): Promise<T> {
  const res = await fetch(running.stack.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as Response<T>;
  if (body.errors?.length || !body.data) throw new Error(`unexpected errors: ${JSON.stringify(body.errors)}`);
  return body.data;
}

async function register(email: string, name: string): Promise<{ token: string; userId: string }> {
  const { register: r } = await gql<{ register: { accessToken: string; user: { id: string } } }>(
    undefined,
    'mutation($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }',
    { input: { email, name, password: 'a perfectly fine passphrase' } },
  );
  return { token: r.accessToken, userId: r.user.id };
}

/** Publishes an outcome for the turn's assistant message, keyed like ai-gateway keys it. */
async function publish(event: EventEnvelope, conversationId: string): Promise<void> {
  await gateway.publish(aiGenerationV1.topic, [{ key: conversationId, event }]);
}

function completed(ownerId: string, turn: Turn, content: string, occurredAt?: Date): EventEnvelope {
  const subject = { conversationId: turn.conversation.id, messageId: turn.assistantMessage.id, streamId: turn.streamId, ownerId };
  const payload = { content, finishReason: 'stop', model: 'local-demo', usage: { promptTokens: 5, completionTokens: 3, totalTokens: 8 } };
  return aiGenerationV1.create('generation.completed', subject, payload, occurredAt ? { occurredAt } : {});
}

/** Polls the conversation through the router (bounded iterations) until `done` holds. */
async function pollBranch(token: string, id: string, done: (b: Branch) => boolean): Promise<Branch> {
  let branch = await gql<Branch>(token, BRANCH, { id });
  for (let i = 0; i < 600 && !done(branch); i++) {
    await new Promise((r) => setTimeout(r, 100));
    branch = await gql<Branch>(token, BRANCH, { id });
  }
  return branch;
}

beforeAll(async () => {
  running = await startTestStack('conversation-distributed', { aiGateway: false });
  gateway = createKafkaEventBus({
    brokers: KAFKA_BROKERS.split(','),
    clientId: 'e2e-ai-gateway',
    namespace: running.kafkaNamespace,
    logger: createLogger({ name: 'e2e', level: 'silent' }),
  });
  await gateway.start();
}, 120_000);

afterAll(async () => {
  await gateway?.stop();
  await running?.dispose();
}, 60_000);

describe('conversation in distributed mode', () => {
  it('sends, completes over Kafka once despite a duplicate and a late failure, and hides the conversation from others', async () => {
    const ada = await register('ada-dist@example.com', 'Ada Lovelace');
    const { sendMessage: turn } = await gql<{ sendMessage: Turn }>(ada.token, SEND, { input: { content: 'Hello there, engine' } });
    expect(turn.assistantMessage.status).toBe('PENDING');
    const id = turn.conversation.id;

    expect((await gql<Branch>(ada.token, BRANCH, { id })).conversation).toEqual({
      owner: { name: 'Ada Lovelace' },
      currentBranch: [
        { role: 'USER', content: 'Hello there, engine', status: 'COMPLETE' },
        { role: 'ASSISTANT', content: '', status: 'PENDING' },
      ],
    });

    const answer = completed(ada.userId, turn, 'Hello, Ada.');
    await publish(answer, id);
    const isComplete = (b: Branch): boolean => b.conversation?.currentBranch[1]?.status === 'COMPLETE';
    const done = await pollBranch(ada.token, id, isComplete);
    expect(done.conversation?.currentBranch[1]).toEqual({ role: 'ASSISTANT', content: 'Hello, Ada.', status: 'COMPLETE' });

    // The same event again, then a failure that happened before the completion, arriving late.
    await publish(answer, id);
    const subject = { conversationId: id, messageId: turn.assistantMessage.id, streamId: turn.streamId, ownerId: ada.userId };
    const earlier = new Date(Date.parse(answer.occurredAt) - 60_000);
    await publish(aiGenerationV1.create('generation.failed', subject, { error: 'provider timed out' }, { occurredAt: earlier }), id);

    // One conversation's events share a partition and are consumed in order: once a later turn's
    // answer shows, the duplicate and the late failure before it have been handled.
    const { sendMessage: next } = await gql<{ sendMessage: Turn }>(ada.token, SEND, {
      input: { conversationId: id, content: 'Still there?' },
    });
    await publish(completed(ada.userId, next, 'Yes.'), id);
    const settled = await pollBranch(ada.token, id, (b) => b.conversation?.currentBranch[3]?.status === 'COMPLETE');
    expect(settled.conversation?.currentBranch).toEqual([
      { role: 'USER', content: 'Hello there, engine', status: 'COMPLETE' },
      { role: 'ASSISTANT', content: 'Hello, Ada.', status: 'COMPLETE' },
      { role: 'USER', content: 'Still there?', status: 'COMPLETE' },
      { role: 'ASSISTANT', content: 'Yes.', status: 'COMPLETE' },
    ]);

    const eve = await register('eve-dist@example.com', 'Eve');
    expect((await gql<Branch>(eve.token, BRANCH, { id })).conversation).toBeNull();
  }, 120_000);
});

// The scenarios of conversation-through-router.test.ts (branching, fork, share/revoke, cross-user
// mutations) on this stack, answers published on Kafka as ai-gateway would; polls every 100 ms.
describeConversationScenarios(() => ({ url: running.stack.url, publish }), { tries: 600, pollMs: 100, emailTag: 'dist' });
