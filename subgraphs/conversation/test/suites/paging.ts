import { codeOf, ok, userPrincipal, type Harness, type Target } from '../harness';

/**
 * Conversation suite: User.conversations paging under concurrent inserts. Runs on any `Target` (embedded or FerretDB + Kafka).
 * `rows`: conversations before the first page (20 embedded; fewer on FerretDB, slow on non-_id queries).
 */
export function describePaging(target: Target, { rows = 20 }: { rows?: number } = {}): void {
  const ada = userPrincipal('user-ada');
  let h: Harness;

  beforeAll(async () => {
    h = await target.start();
  }, target.hookTimeout);
  afterAll(() => h?.dispose(), target.hookTimeout);

  interface Page {
    edges: Array<{ cursor: string; node: { id: string; title: string } }>;
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  }

  const create = async (title: string) =>
    ok<{ id: string }>(
      await h.gql(ada, 'mutation($t: String) { createConversation(input: { title: $t }) { id } }', { t: title }),
      'createConversation',
    ).id;

  async function page(after: string | null): Promise<Page> {
    const res = await h.gql(
      ada,
      'query($reps: [_Any!]!, $after: String) { _entities(representations: $reps) { ... on User { conversations(first: 7, after: $after) { edges { cursor node { id title } } pageInfo { hasNextPage endCursor } } } } }',
      {
        reps: [{ __typename: 'User', id: 'user-ada' }],
        after,
      },
    );
    return ok<Array<{ conversations: Page }>>(res, '_entities')[0]?.conversations as Page;
  }

  describe('User.conversations paging', () => {
    it('lists newest activity first and neither skips nor repeats while conversations are created between pages', async () => {
      const original: string[] = [];
      for (let i = 0; i < rows; i++) original.push(await create(`c${i}`));
      const seen: string[] = [];
      let after: string | null = null;
      for (let n = 0; n < 10; n++) {
        const current: Page = await page(after);
        seen.push(...current.edges.map((e) => e.node.id));
        // Concurrent writers: new conversations land before the cursor, never inside the rest.
        await Promise.all([create(`new-${n}-a`), create(`new-${n}-b`)]);
        if (!current.pageInfo.hasNextPage) break;
        after = current.pageInfo.endCursor;
      }
      expect(seen).toEqual([...original].reverse());
    });

    it('refuses a malformed cursor and an oversized page', async () => {
      const bad = await h.gql(
        ada,
        'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { conversations(after: "garbage") { edges { cursor } } } } }',
        { reps: [{ __typename: 'User', id: 'user-ada' }] },
      );
      expect(codeOf(bad)).toBe('BAD_USER_INPUT');
      const big = await h.gql(
        ada,
        'query($reps: [_Any!]!) { _entities(representations: $reps) { ... on User { conversations(first: 1000) { edges { cursor } } } } }',
        { reps: [{ __typename: 'User', id: 'user-ada' }] },
      );
      expect(codeOf(big)).toBe('BAD_USER_INPUT');
    });
  });
}
