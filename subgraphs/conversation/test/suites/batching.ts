import { ok, send, userPrincipal, type Harness, type Target } from '../harness';

/**
 * Conversation suite: listing without N+1 store reads (counted by the harness store wrapper, on either target). Runs on any `Target` (embedded or FerretDB + Kafka).
 * `conversations`: how many to list in one page (50 embedded; fewer on FerretDB, slow to fill).
 */
export function describeBatching(target: Target, { conversations = 50 }: { conversations?: number } = {}): void {
  const ada = userPrincipal('user-ada');
  let h: Harness;

  beforeAll(async () => {
    h = await target.start();
    // Sends one by one: each first message creates its conversation.
    for (let i = 0; i < conversations; i++) await send(h, ada, { content: `question ${i}` });
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  describe('listing is N+1 free', () => {
    it(`${conversations} conversations with owner, last message and current branch cost a bounded number of store reads`, async () => {
      await h.resetReads();
      const res = await h.gql(
        ada,
        `query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { conversations(first: ${conversations}) { edges { node { id title owner { id } lastMessage { id status } currentBranch { id role siblingCount } } } } } } }`,
        { reps: [{ __typename: 'User', id: 'user-ada' }] },
      );
      const list =
        ok<Array<{ conversations: { edges: Array<{ node: { lastMessage: { status: string }; currentBranch: unknown[] } }> } }>>(
          res,
          '_entities',
        )[0]?.conversations.edges ?? [];
      expect(list).toHaveLength(conversations);
      expect(list.every((e) => e.node.lastMessage.status === 'PENDING' && e.node.currentBranch.length === 2)).toBe(true);
      // One page read of conversations; last messages in one batch and all branches in one batch.
      expect(h.reads.get('conversations')).toBe(1);
      expect(h.reads.get('messages')).toBeLessThanOrEqual(2);
    });
  });
}
