/**
 * conversation's record of a requested generation (src/streamRequested.ts): written before
 * `sendMessage` (and regenerate) return the streamId, so streaming can tell a pending generation
 * from an unknown id without waiting.
 */
import type { KvStore } from '@chatgraph/kit/kv';
import { parseTokenStreamRequest, tokenStreamRequestKey } from '@chatgraph/schema';
import { TURN_FIELDS, userPrincipal, type SentTurn, startConversationWithKv, type Harness } from './harness';

const alice = userPrincipal('alice');
let h: Harness & { kv: KvStore };

beforeAll(async () => {
  h = await startConversationWithKv();
});

afterAll(() => h?.dispose());

const record = async (streamId: string) => {
  const raw = await h.kv.get(tokenStreamRequestKey(streamId));
  return raw === null ? undefined : parseTokenStreamRequest(raw);
};

it('records the requested generation (owner, conversation, message) by the time sendMessage returns its streamId', async () => {
  const res = await h.gql<{ sendMessage: SentTurn }>(
    alice,
    `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`,
    { input: { content: 'Hello' } },
  );
  const turn = res.data?.sendMessage;
  if (!turn) throw new Error(JSON.stringify(res.errors));
  expect(await record(turn.streamId)).toEqual({
    streamId: turn.streamId,
    ownerId: 'alice',
    conversationId: turn.conversation.id,
    messageId: turn.assistantMessage.id,
    requestedAt: expect.any(String),
  });
});
