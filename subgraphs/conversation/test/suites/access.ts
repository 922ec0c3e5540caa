import { ANON, answer, codeOf, ok, send, userPrincipal, type Harness, type Target, type SentTurn } from '../harness';

/** Conversation suite: another user's and anonymous attempts on every entry point. Runs on any `Target` (embedded or FerretDB + Kafka). */
export function describeAccess(target: Target): void {
  const ada = userPrincipal('user-ada');
  const eve = userPrincipal('user-eve');
  let h: Harness;
  let turn: SentTurn;

  beforeAll(async () => {
    h = await target.start();
    turn = await send(h, ada, { content: 'my secret plans' });
    await answer(h, 'user-ada', turn, 'noted');
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  const snapshot = async () => ({
    conversation: await h.collections.conversations.findById(turn.conversation.id),
    messages: await h.collections.messages.count({ conversationId: turn.conversation.id }),
  });

  describe("another user's conversation is invisible on every path", () => {
    it('Query.conversation gives null to another user and UNAUTHENTICATED to anonymous callers', async () => {
      expect(
        ok(await h.gql(eve, 'query($id: ID!) { conversation(id: $id) { id title } }', { id: turn.conversation.id }), 'conversation'),
      ).toBeNull();
      expect(codeOf(await h.gql(ANON, 'query($id: ID!) { conversation(id: $id) { id } }', { id: turn.conversation.id }))).toBe(
        'UNAUTHENTICATED',
      );
    });

    it('_entities resolves foreign or unknown Conversation and Message ids to null', async () => {
      const reps = [
        { __typename: 'Conversation', id: turn.conversation.id },
        { __typename: 'Message', id: turn.userMessage.id },
        { __typename: 'Message', id: turn.assistantMessage.id },
        { __typename: 'Conversation', id: 'unknown' },
      ];
      const query =
        'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on Conversation { title } ... on Message { content } } }';
      expect(ok(await h.gql(eve, query, { reps }), '_entities')).toEqual([null, null, null, null]);
      expect(ok(await h.gql(ANON, query, { reps }), '_entities')).toEqual([null, null, null, null]);
      expect(ok(await h.gql(ada, query, { reps }), '_entities')).toEqual([
        { title: 'my secret plans' },
        { content: 'my secret plans' },
        { content: 'noted' },
        null,
      ]);
    });

    it('User.conversations of another user is FORBIDDEN', async () => {
      const res = await h.gql(
        eve,
        'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { conversations { edges { node { id } } } } } }',
        { reps: [{ __typename: 'User', id: 'user-ada' }] },
      );
      expect(codeOf(res)).toBe('FORBIDDEN');
      expect(JSON.stringify(res)).not.toContain(turn.conversation.id);
    });

    it('every mutation on a foreign id is NOT_FOUND and changes nothing', async () => {
      const before = await snapshot();
      const attempts = [
        h.gql(eve, 'mutation($id: ID!) { updateConversation(id: $id, input: { title: "pwned" }) { id } }', { id: turn.conversation.id }),
        h.gql(eve, 'mutation($id: ID!) { deleteConversation(id: $id) { deletedConversationId } }', { id: turn.conversation.id }),
        h.gql(eve, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }', {
          i: { conversationId: turn.conversation.id, content: 'hi' },
        }),
        h.gql(eve, 'mutation($i: EditMessageInput!) { editMessage(input: $i) { streamId } }', {
          i: { messageId: turn.userMessage.id, content: 'hi' },
        }),
        h.gql(eve, 'mutation($id: ID!) { regenerateMessage(messageId: $id) { streamId } }', { id: turn.assistantMessage.id }),
        h.gql(eve, 'mutation($id: ID!) { setActiveMessage(messageId: $id) { id } }', { id: turn.assistantMessage.id }),
      ];
      for (const res of await Promise.all(attempts)) {
        expect(codeOf(res)).toBe('NOT_FOUND');
        expect(JSON.stringify(res)).not.toContain('secret');
      }
      expect(await snapshot()).toEqual(before);
    });

    it("a user cannot send under a parent from someone else's conversation", async () => {
      const own = ok<{ id: string }>(await h.gql(eve, 'mutation { createConversation { id } }'), 'createConversation');
      const res = await h.gql(eve, 'mutation($i: SendMessageInput!) { sendMessage(input: $i) { streamId } }', {
        i: { conversationId: own.id, parentId: turn.assistantMessage.id, content: 'hi' },
      });
      expect(codeOf(res)).toBe('BAD_USER_INPUT');
    });
  });
}
