import { ANON, answer, codeOf, collectEvents, eventually, ok, send, userPrincipal, type Harness, type Target } from '../harness';

/** Conversation suite: fork, share and revoke, feedback. Runs on any `Target` (embedded or FerretDB + Kafka). */
export function describeSharing(target: Target): void {
  const ada = userPrincipal('user-ada');
  const eve = userPrincipal('user-eve');
  let h: Harness;

  beforeAll(async () => {
    h = await target.start();
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  const SHARED = 'query($s: ID!) { sharedConversation(shareId: $s) { shareId title messages { role content model } } }';

  describe('fork, share and feedback', () => {
    it('forks the path up to a message into a new conversation of the same owner', async () => {
      const first = await send(h, ada, { content: 'one' });
      await answer(h, 'user-ada', first, 'uno');
      const second = await send(h, ada, { conversationId: first.conversation.id, content: 'two' });
      const fork = ok<{ id: string; title: string; currentBranch: Array<{ content: string; status: string }> }>(
        await h.gql(ada, 'mutation($m: ID!) { forkConversation(messageId: $m) { id title currentBranch { content status } } }', {
          m: second.assistantMessage.id,
        }),
        'forkConversation',
      );
      expect(fork.id).not.toBe(first.conversation.id);
      expect(fork.title).toBe('one (fork)');
      // The pending answer is copied as ABORTED: its result completes the original only.
      expect(fork.currentBranch).toEqual([
        { content: 'one', status: 'COMPLETE' },
        { content: 'uno', status: 'COMPLETE' },
        { content: 'two', status: 'COMPLETE' },
        { content: '', status: 'ABORTED' },
      ]);
      expect(
        codeOf(await h.gql(eve, 'mutation($m: ID!) { forkConversation(messageId: $m) { id } }', { m: second.assistantMessage.id })),
      ).toBe('NOT_FOUND');
    });

    it('shares an immutable snapshot anyone can read until it is revoked', async () => {
      const turn = await send(h, ada, { content: 'share me', model: 'm-1' });
      await answer(h, 'user-ada', turn, 'shared answer');
      const link = ok<{ shareId: string; conversationId: string }>(
        await h.gql(ada, 'mutation($id: ID!) { shareConversation(id: $id) { shareId conversationId createdAt } }', {
          id: turn.conversation.id,
        }),
        'shareConversation',
      );
      expect(link.conversationId).toBe(turn.conversation.id);
      expect(codeOf(await h.gql(eve, 'mutation($id: ID!) { shareConversation(id: $id) { shareId } }', { id: turn.conversation.id }))).toBe(
        'NOT_FOUND',
      );

      // Later changes do not show in the snapshot.
      await h.gql(ada, 'mutation($id: ID!) { updateConversation(id: $id, input: { title: "renamed" }) { id } }', {
        id: turn.conversation.id,
      });
      await send(h, ada, { conversationId: turn.conversation.id, content: 'after sharing' });
      const read = await h.gql(ANON, SHARED, { s: link.shareId });
      expect(ok(read, 'sharedConversation')).toEqual({
        shareId: link.shareId,
        title: 'share me',
        messages: [
          { role: 'USER', content: 'share me', model: null },
          { role: 'ASSISTANT', content: 'shared answer', model: 'local-demo' },
        ],
      });
      expect(JSON.stringify(read)).not.toContain('user-ada');

      expect(codeOf(await h.gql(eve, 'mutation($s: ID!) { revokeShare(shareId: $s) { revoked } }', { s: link.shareId }))).toBe('NOT_FOUND');
      expect(
        ok(await h.gql(ada, 'mutation($s: ID!) { revokeShare(shareId: $s) { revoked } }', { s: link.shareId }), 'revokeShare'),
      ).toEqual({ revoked: true });
      expect(ok(await h.gql(ANON, SHARED, { s: link.shareId }), 'sharedConversation')).toBeNull();
      expect(
        ok(await h.gql(ada, 'mutation($s: ID!) { revokeShare(shareId: $s) { revoked } }', { s: link.shareId }), 'revokeShare'),
      ).toEqual({ revoked: false });
    });

    it('records feedback on assistant messages, with an event, for the owner only', async () => {
      const events = await collectEvents(h, ['conversation.message.v1']);
      const turn = await send(h, ada, { content: 'rate me' });
      await answer(h, 'user-ada', turn, 'good answer');
      const rate = (who: typeof ada, messageId: string, comment?: string) =>
        h.gql(
          who,
          'mutation($m: ID!, $c: String) { setFeedback(messageId: $m, rating: THUMBS_UP, comment: $c) { id feedback { rating comment } } }',
          { m: messageId, c: comment },
        );
      expect(ok(await rate(ada, turn.assistantMessage.id, ' helpful '), 'setFeedback')).toEqual({
        id: turn.assistantMessage.id,
        feedback: { rating: 'THUMBS_UP', comment: 'helpful' },
      });
      expect(codeOf(await rate(ada, turn.userMessage.id))).toBe('BAD_USER_INPUT');
      expect(codeOf(await rate(ada, turn.assistantMessage.id, 'x'.repeat(2001)))).toBe('BAD_USER_INPUT');
      expect(codeOf(await rate(eve, turn.assistantMessage.id))).toBe('NOT_FOUND');
      expect((await h.collections.messages.findById(turn.assistantMessage.id))?.feedback).toMatchObject({
        rating: 'THUMBS_UP',
        comment: 'helpful',
      });
      await h.conversation.relay.drain();
      const rated = await eventually(
        async () => events.filter((e) => e.event.type === 'message.rated'),
        (list) => list.length > 0,
        target.tries,
      );
      expect(rated.map((e) => e.event.payload)).toEqual([{ rating: 'THUMBS_UP', comment: 'helpful' }]);
    });
  });
}
