/**
 * Conversation's own lifecycle on the real servers: documents in FerretDB (MongoDB wire protocol),
 * events through Kafka, every call signed as the router signs it. One harness for the whole file:
 * its generation-result consumer joins a fixed consumer group, and a second member in the same
 * group would take partitions whose events belong to this run's database.
 */
import { PROCESSED_EVENTS } from '@chatgraph/kit/events';
import { CONSUMER_GROUP } from '../src/events';
import {
  codeOf,
  collectEvents,
  eventually,
  idsOf,
  ok,
  publishResult,
  realServersEnv,
  send,
  startConversation,
  userPrincipal,
  type Harness,
} from './harness';

const ada = userPrincipal('user-ada');
// Kafka delivers within a fetch wait (1 s) plus group work; poll in bounded steps of 10 ms.
const TRIES = 3000;
let h: Harness;

beforeAll(async () => {
  h = await startConversation({ env: realServersEnv() });
}, 120_000);
afterAll(() => h?.dispose(), 60_000);

/** Once a later result of the same conversation (same partition, in order) was processed, every earlier one was too. */
async function settle(conversationId: string): Promise<void> {
  const sentinel = await publishResult(
    h,
    'user-ada',
    { conversationId, messageId: 'no-such-message', streamId: 'no-such-stream' },
    { content: 'sentinel' },
  );
  const marker = await eventually(
    () => h.store.collection(PROCESSED_EVENTS).findById(`${CONSUMER_GROUP}:${sentinel.id}`),
    (doc) => doc !== null,
    TRIES,
  );
  if (!marker) throw new Error('the sentinel was not consumed');
}

describe('conversation on FerretDB and Kafka', () => {
  it('publishes a generation request through the outbox relay to Kafka', async () => {
    const events = await collectEvents(h, ['ai.generation.v1']);
    const turn = await send(h, ada, { content: 'What is a monad?' });
    const requests = await eventually(
      async () =>
        events.filter(
          (e) =>
            e.event.type === 'generation.requested' && (e.event.subject as Record<string, string>).messageId === turn.assistantMessage.id,
        ),
      (list) => list.length > 0,
      TRIES,
    );
    expect(requests).toHaveLength(1);
    expect(requests[0]).toMatchObject({
      key: turn.conversation.id,
      event: {
        subject: {
          conversationId: turn.conversation.id,
          messageId: turn.assistantMessage.id,
          streamId: turn.streamId,
          ownerId: 'user-ada',
        },
        payload: { model: 'local-demo', messages: [{ role: 'USER', content: 'What is a monad?' }], droppedMessages: 0 },
      },
    });
  });

  it('applies a completion from Kafka once, ignoring a duplicate and a late failure', async () => {
    const turn = await send(h, ada, { content: 'question' });
    const completed = await publishResult(h, 'user-ada', idsOf(turn), { content: 'the answer' });
    await publishResult(h, 'user-ada', idsOf(turn), { content: 'the answer' }, completed.id);
    await publishResult(h, 'user-ada', idsOf(turn), { error: 'provider timed out' });
    await settle(turn.conversation.id);
    expect(await h.collections.messages.findById(turn.assistantMessage.id)).toMatchObject({
      status: 'COMPLETE',
      content: 'the answer',
      finishReason: 'stop',
      tokenCount: 7,
    });
    const read = ok<{ currentBranch: unknown[] }>(
      await h.gql(ada, 'query($id: ID!) { conversation(id: $id) { currentBranch { role content status } } }', { id: turn.conversation.id }),
      'conversation',
    );
    expect(read.currentBranch).toEqual([
      { role: 'USER', content: 'question', status: 'COMPLETE' },
      { role: 'ASSISTANT', content: 'the answer', status: 'COMPLETE' },
    ]);
  });

  // Last in the file: it stops the background relay so the tombstones can be seen before their
  // events go out, then publishes by hand with `drain()`.
  it('deletes a conversation: tombstones until the deletion events are on Kafka, then nothing', async () => {
    const events = await collectEvents(h, ['conversation.conversation.v1', 'conversation.message.v1']);
    const turn = await send(h, ada, { content: 'forget me' });
    await h.conversation.relay.stop();
    expect(
      ok(
        await h.gql(ada, 'mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId } }', { id: turn.conversation.id }),
        'deleteConversation',
      ),
    ).toEqual({ deletedConversationId: turn.conversation.id });
    expect(await h.collections.messages.count({ conversationId: turn.conversation.id, _deleted: true })).toBe(2);
    expect(await h.collections.conversations.count({ _id: turn.conversation.id, _deleted: true })).toBe(1);
    expect(
      ok(await h.gql(ada, 'query($id: ID!) { conversation(id: $id) { id } }', { id: turn.conversation.id }), 'conversation'),
    ).toBeNull();
    expect(
      codeOf(
        await h.gql(ada, 'mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId } }', { id: turn.conversation.id }),
      ),
    ).toBe('NOT_FOUND');

    await h.conversation.relay.drain();
    const mine = (e: (typeof events)[number]): boolean => e.key === turn.conversation.id;
    const deletions = await eventually(
      async () => events.filter(mine).map((e) => e.event.type),
      (types) => types.includes('conversation.deleted') && types.filter((t) => t === 'message.deleted').length === 2,
      TRIES,
    );
    expect(deletions).toEqual(
      expect.arrayContaining(['conversation.created', 'message.created', 'message.deleted', 'conversation.deleted']),
    );
    const left = await eventually(
      () => h.collections.messages.count({ conversationId: turn.conversation.id }),
      (n) => n === 0,
      TRIES,
    );
    expect(left).toBe(0);
    expect(
      await eventually(
        () => h.collections.conversations.count({ _id: turn.conversation.id }),
        (n) => n === 0,
        TRIES,
      ),
    ).toBe(0);
  });
});
