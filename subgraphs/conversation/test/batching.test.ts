import { ok, send, startConversation, userPrincipal, type Harness } from './harness';

const ada = userPrincipal('user-ada');
let h: Harness;

beforeAll(async () => {
  h = await startConversation();
  for (let i = 0; i < 50; i++) await send(h, ada, { content: `question ${i}` });
});
afterAll(() => h.dispose());

describe('listing is N+1 free', () => {
  it('50 conversations with owner, last message and current branch cost a bounded number of store reads', async () => {
    h.resetReads();
    const res = await h.gql(
      ada,
      'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { conversations(first: 50) { edges { node { id title owner { id } lastMessage { id status } currentBranch { id role siblingCount } } } } } } }',
      { reps: [{ __typename: 'User', id: 'user-ada' }] },
    );
    const list = ok<Array<{ conversations: { edges: Array<{ node: { lastMessage: { status: string }; currentBranch: unknown[] } }> } }>>(res, '_entities')[0]?.conversations.edges ?? [];
    expect(list).toHaveLength(50);
    expect(list.every((e) => e.node.lastMessage.status === 'PENDING' && e.node.currentBranch.length === 2)).toBe(true);
    // One page read of conversations; last messages in one batch and all branches in one batch.
    expect(h.reads.get('conversations')).toBe(1);
    expect(h.reads.get('messages')).toBeLessThanOrEqual(2);
  });
});
