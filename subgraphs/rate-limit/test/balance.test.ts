import { codeOf, startRateLimit, userPrincipal, ANON, type Harness } from './harness';

const BALANCE = `query($id: ID!) { _entities(representations: [{ __typename: "User", id: $id }]) { ... on User { id balance { credits updatedAt } } } }`;

describe('User.balance', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRateLimit({ STARTING_CREDITS: '5000' });
  });
  afterAll(() => h.dispose());

  it('shows a user never seen the starting balance', async () => {
    const res = await h.gql<{ _entities: Array<{ balance: { credits: number } }> }>(userPrincipal('u1'), BALANCE, { id: 'u1' });
    expect(res.errors).toBeUndefined();
    expect(res.data?._entities[0]?.balance.credits).toBe(5000);
  });

  it("refuses another user's balance, and anonymous callers", async () => {
    expect(codeOf(await h.gql(userPrincipal('u2'), BALANCE, { id: 'u1' }))).toBe('FORBIDDEN');
    expect(codeOf(await h.gql(ANON, BALANCE, { id: 'u1' }))).toBe('UNAUTHENTICATED');
  });

  it("lets an ADMIN read anyone's balance", async () => {
    const res = await h.gql<{ _entities: Array<{ balance: { credits: number } }> }>(userPrincipal('admin', 'ADMIN'), BALANCE, { id: 'u1' });
    expect(res.data?._entities[0]?.balance.credits).toBe(5000);
  });
});
