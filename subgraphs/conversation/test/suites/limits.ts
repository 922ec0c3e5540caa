import { newId } from '@chatgraph/kit';
import { codeOf, ok, send, userPrincipal, type Harness, type Target } from '../harness';

/** Conversation suite: limits and refusals that write nothing. Runs on any `Target` (embedded or FerretDB + Kafka). */
export function describeLimits(target: Target): void {
  const ada = userPrincipal('user-ada');
  let h: Harness;

  beforeAll(async () => {
    h = await target.start();
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  /** Documents in the store, to prove a refusal wrote nothing. */
  const counts = async () => ({
    conversations: await h.collections.conversations.count({}),
    messages: await h.collections.messages.count({}),
  });

  describe('limits and refusals write nothing', () => {
    it('refuses titles over 200 characters, more than 20 tags and tags over 50 characters', async () => {
      const before = await counts();
      expect(
        codeOf(await h.gql(ada, 'mutation($t: String) { createConversation(input: { title: $t }) { id } }', { t: 'x'.repeat(201) })),
      ).toBe('BAD_USER_INPUT');
      expect(await counts()).toEqual(before);
      const { id } = ok<{ id: string }>(await h.gql(ada, 'mutation { createConversation { id title } }'), 'createConversation');
      const update = (input: Record<string, unknown>) =>
        h.gql(ada, 'mutation($id: ID!, $input: UpdateConversationInput!) { updateConversation(id: $id, input: $input) { id } }', {
          id,
          input,
        });
      expect(codeOf(await update({ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }))).toBe('BAD_USER_INPUT');
      expect(codeOf(await update({ tags: ['y'.repeat(51)] }))).toBe('BAD_USER_INPUT');
      expect(codeOf(await update({ title: 'ok', tags: ['y'.repeat(51)] }))).toBe('BAD_USER_INPUT');
      const stored = await h.collections.conversations.findById(id);
      expect(stored).toMatchObject({ title: 'New conversation', tags: [] });
      expect(stored?._outbox?.map((e) => e.event.type) ?? []).not.toContain('conversation.updated');
    });

    it('refuses content over 32,000 characters, an unknown parent and a parent from another conversation', async () => {
      const a = await send(h, ada, { content: 'first' });
      const b = await send(h, ada, { content: 'other' });
      const before = await counts();
      expect(
        codeOf(await h.gql(ada, 'mutation($c: String!) { sendMessage(input: { content: $c }) { streamId } }', { c: 'x'.repeat(32_001) })),
      ).toBe('BAD_USER_INPUT');
      const sendUnder = (parentId: string) =>
        h.gql(ada, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }', {
          i: { conversationId: a.conversation.id, parentId, content: 'hi' },
        });
      expect(codeOf(await sendUnder('no-such-message'))).toBe('BAD_USER_INPUT');
      expect(codeOf(await sendUnder(b.assistantMessage.id))).toBe('BAD_USER_INPUT');
      expect(await counts()).toEqual(before);
    });

    it('answers CONFLICT while the branch is still generating, and writes nothing', async () => {
      const turn = await send(h, ada, { content: 'slow question' });
      const before = await counts();
      const res = await h.gql(ada, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }', {
        i: { conversationId: turn.conversation.id, content: 'are you there?' },
      });
      expect(codeOf(res)).toBe('CONFLICT');
      expect(await counts()).toEqual(before);
      expect((await h.collections.conversations.findById(turn.conversation.id))?.activeLeafId).toBe(turn.assistantMessage.id);
    });

    it('refuses to grow a branch past the tree depth limit', async () => {
      const { id } = ok<{ id: string }>(await h.gql(ada, 'mutation { createConversation { id } }'), 'createConversation');
      const now = new Date();
      const deep = {
        _id: newId(),
        conversationId: id,
        ownerId: 'user-ada',
        parentId: null,
        role: 'ASSISTANT' as const,
        content: 'deep',
        status: 'COMPLETE' as const,
        streamId: null,
        model: null,
        tokenCount: null,
        finishReason: null,
        feedback: null,
        depth: 999,
        createdAt: now,
        updatedAt: now,
      };
      await h.collections.messages.insertOne(deep);
      const before = await counts();
      const res = await h.gql(ada, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }', {
        i: { conversationId: id, parentId: deep._id, content: 'deeper' },
      });
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
      expect(await counts()).toEqual(before);
    });
  });
}
