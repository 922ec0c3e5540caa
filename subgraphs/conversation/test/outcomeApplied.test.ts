/**
 * conversation's applied-outcome marker (src/outcomeApplied.ts), which releases streaming's final
 * chunk: written once the outcome (and a title generated before it) is applied — so a read at
 * the moment the marker appears already serves the finished message — and also when there is
 * nothing to apply (a redelivery, a second outcome, a deleted message).
 */
import type { KvStore, StreamEntry } from '@chatgraph/kit/kv';
import { aiGenerationV1, tokenStreamAppliedKey } from '@chatgraph/schema';
import { idsOf, TURN_FIELDS, userPrincipal, type SentTurn, startConversationWithKv, type Harness } from './harness';

const alice = userPrincipal('alice');
let h: Harness & { kv: KvStore };

beforeAll(async () => {
  h = await startConversationWithKv();
});

afterAll(() => h?.dispose());

async function send(content: string): Promise<SentTurn> {
  const res = await h.gql<{ sendMessage: SentTurn }>(
    alice,
    `mutation($input: SendMessageInput!) { sendMessage(input: $input) { ${TURN_FIELDS} } }`,
    { input: { content } },
  );
  if (!res.data) throw new Error(JSON.stringify(res.errors));
  return res.data.sendMessage;
}

/**
 * Resolves, the moment the `n`th marker entry of the turn's stream appears, with what conversation
 * serves then: the state streaming's final chunk is hydrated with.
 */
async function atMarker(
  t: SentTurn,
  n = 1,
): Promise<{ entries: StreamEntry[]; status?: string; content?: string; tokenCount?: number | null; title?: string }> {
  const entries: StreamEntry[] = [];
  for await (const entry of h.kv.follow(tokenStreamAppliedKey(t.streamId))) {
    entries.push(entry);
    if (entries.length >= n) break;
  }
  const message = await h.collections.messages.findById(t.assistantMessage.id);
  const conv = await h.collections.conversations.findById(t.conversation.id);
  return { entries, status: message?.status, content: message?.content, tokenCount: message?.tokenCount, title: conv?.title };
}

const completed = (t: SentTurn, content: string, id?: string) =>
  aiGenerationV1.create(
    'generation.completed',
    { ...idsOf(t), ownerId: 'alice' },
    { content, finishReason: 'stop', model: 'local-demo', usage: { promptTokens: 10, completionTokens: 7, totalTokens: 17 } },
    id ? { id } : {},
  );

it('marks the outcome only once it is applied, with the title generated before it', async () => {
  const t = await send('what is a final chunk');
  const marked = atMarker(t);
  const title = aiGenerationV1.create(
    'title.generated',
    { ...idsOf(t), ownerId: 'alice' },
    { title: 'Final chunks explained', model: 'local-demo' },
  );
  await h.bus.publish(aiGenerationV1.topic, [
    { key: t.conversation.id, event: title },
    { key: t.conversation.id, event: completed(t, 'the answer') },
  ]);
  const seen = await marked;
  expect(seen.entries.map((e) => e.fields)).toEqual([{ event: 'generation.completed' }]);
  expect(seen).toMatchObject({ status: 'COMPLETE', content: 'the answer', tokenCount: 7, title: 'Final chunks explained' });
});

it('marks a failed outcome FAILED', async () => {
  const t = await send('this one fails');
  const marked = atMarker(t);
  await h.bus.publish(aiGenerationV1.topic, [
    {
      key: t.conversation.id,
      event: aiGenerationV1.create('generation.failed', { ...idsOf(t), ownerId: 'alice' }, { error: 'boom', content: 'par' }),
    },
  ]);
  expect(await marked).toMatchObject({ status: 'FAILED', content: 'par' });
});

it('marks again on a redelivery and on a late second outcome, which change nothing', async () => {
  const t = await send('delivered twice');
  const event = completed(t, 'first');
  await h.bus.publish(aiGenerationV1.topic, [{ key: t.conversation.id, event }]);
  await atMarker(t, 1);
  await h.bus.publish(aiGenerationV1.topic, [{ key: t.conversation.id, event }]);
  await h.bus.publish(aiGenerationV1.topic, [
    { key: t.conversation.id, event: aiGenerationV1.create('generation.failed', { ...idsOf(t), ownerId: 'alice' }, { error: 'late' }) },
  ]);
  const seen = await atMarker(t, 3);
  expect(seen.entries.map((e) => e.fields.event)).toEqual(['generation.completed', 'generation.completed', 'generation.failed']);
  expect(seen).toMatchObject({ status: 'COMPLETE', content: 'first' });
});

it('marks an outcome for a deleted conversation: there is nothing more to wait for', async () => {
  const t = await send('deleted meanwhile');
  const deleted = await h.gql<{ deleteConversation: { deletedConversationId: string } }>(
    alice,
    'mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId } }',
    { id: t.conversation.id },
  );
  expect(deleted.data?.deleteConversation).toEqual({ deletedConversationId: t.conversation.id });
  const marked = atMarker(t);
  await h.bus.publish(aiGenerationV1.topic, [{ key: t.conversation.id, event: completed(t, 'too late') }]);
  expect((await marked).entries).toHaveLength(1);
});
