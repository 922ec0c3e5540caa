import { answer, codeOf, collectEvents, ok, send, userPrincipal, type Harness, type Target } from '../harness';

/** Conversation suite: create, read, update, list and delete, with their events. Runs on any `Target` (embedded or FerretDB + Kafka). */
export function describeLifecycle(target: Target): void {
  const ada = userPrincipal('user-ada');
  let h: Harness;

  beforeAll(async () => {
    h = await target.start();
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  const CONVERSATION = 'id title pinned archived tags model owner { id } currentBranch { role content status } lastMessage { id }';

  describe('conversation lifecycle', () => {
    it('creates, reads, updates, lists and deletes a conversation, emitting an event for each change', async () => {
      const events = await collectEvents(h, ['conversation.conversation.v1', 'conversation.message.v1', 'ai.generation.v1']);
      const created = ok<{ id: string; title: string; owner: { id: string } }>(
        await h.gql(ada, `mutation { createConversation(input: { title: "  Trip plans ", model: "gpt-x" }) { ${CONVERSATION} } }`),
        'createConversation',
      );
      expect(created).toMatchObject({
        title: 'Trip plans',
        pinned: false,
        archived: false,
        tags: [],
        model: 'gpt-x',
        owner: { id: 'user-ada' },
        currentBranch: [],
        lastMessage: null,
      });

      const updated = ok<Record<string, unknown>>(
        await h.gql(
          ada,
          'mutation($id: ID!) { updateConversation(id: $id, input: { title: "Japan", pinned: true, tags: ["travel", "travel", "2025"] }) { title pinned tags } }',
          { id: created.id },
        ),
        'updateConversation',
      );
      expect(updated).toEqual({ title: 'Japan', pinned: true, tags: ['travel', '2025'] });

      const turn = await send(h, ada, { conversationId: created.id, content: 'Where should I go first?' });
      expect(turn.assistantMessage).toMatchObject({ status: 'PENDING', parentId: turn.userMessage.id });
      await answer(h, 'user-ada', turn, 'Tokyo.');
      const read = ok<{ currentBranch: unknown[]; lastMessage: { id: string } }>(
        await h.gql(ada, `query($id: ID!) { conversation(id: $id) { ${CONVERSATION} } }`, { id: created.id }),
        'conversation',
      );
      expect(read.currentBranch).toEqual([
        { role: 'USER', content: 'Where should I go first?', status: 'COMPLETE' },
        { role: 'ASSISTANT', content: 'Tokyo.', status: 'COMPLETE' },
      ]);
      expect(read.lastMessage.id).toBe(turn.assistantMessage.id);

      const list = (filter: Record<string, unknown>) =>
        h.gql(
          ada,
          'query($reps: [_Any!]!, $filter: ConversationFilter) { _entities(representations: $reps) { ... on User { conversations(filter: $filter) { edges { node { id } } } } } }',
          { reps: [{ __typename: 'User', id: 'user-ada' }], filter },
        );
      const ids = async (filter: Record<string, unknown>) =>
        ok<Array<{ conversations: { edges: Array<{ node: { id: string } }> } }>>(
          await list(filter),
          '_entities',
        )[0]?.conversations.edges.map((e) => e.node.id);
      expect(await ids({ pinned: true })).toEqual([created.id]);
      expect(await ids({ tag: 'travel' })).toEqual([created.id]);
      expect(await ids({ tag: 'work' })).toEqual([]);
      expect(await ids({ archived: true })).toEqual([]);

      expect(
        ok(
          await h.gql(ada, 'mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId } }', { id: created.id }),
          'deleteConversation',
        ),
      ).toEqual({ deletedConversationId: created.id });
      expect(ok(await h.gql(ada, 'query($id: ID!) { conversation(id: $id) { id } }', { id: created.id }), 'conversation')).toBeNull();
      expect(
        codeOf(await h.gql(ada, 'mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId } }', { id: created.id })),
      ).toBe('NOT_FOUND');
      expect(await ids({})).toEqual([]);

      await h.conversation.relay.drain();
      const types = () => events.map((e) => e.event.type);
      const all = await waitFor(
        () => types(),
        (t) => t.includes('conversation.deleted') && t.filter((x) => x === 'message.deleted').length === 2,
      );
      expect(all).toEqual(
        expect.arrayContaining([
          'conversation.created',
          'conversation.updated',
          'message.created',
          'generation.requested',
          'message.completed',
          'message.deleted',
          'conversation.deleted',
        ]),
      );
      expect(events.every((e) => e.key === created.id)).toBe(true);
      // Tombstones disappear once their events are out.
      await waitFor(
        () => h.collections.messages.count({ conversationId: created.id }),
        (n) => n === 0,
      );
      expect(await h.collections.messages.count({ conversationId: created.id })).toBe(0);
    });

    it('creates the conversation on a first message without conversationId, titled from its first words', async () => {
      const turn = await send(h, ada, { content: 'Explain   the difference between TCP and UDP in simple words please, thanks' });
      expect(turn.conversation.title).toBe('Explain the difference between TCP and UDP in');
      expect(turn.userMessage.parentId).toBeNull();
    });
  });

  async function waitFor<T>(read: () => T | Promise<T>, check: (v: T) => boolean): Promise<T> {
    let value = await read();
    for (let i = 0; i < target.tries && !check(value); i++) {
      await new Promise((r) => setTimeout(r, 10));
      value = await read();
    }
    return value;
  }
}
