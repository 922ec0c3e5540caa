import { identityUserV1, rateLimitBalanceV1 } from '@chatgraph/schema';
import { newId } from '@chatgraph/kit';
import { codeOf, completion, creditsOf, deliver, eventually, ok, register, startRateLimit, userPrincipal, type Harness } from './harness';

const ADMIN = userPrincipal('admin-1', 'ADMIN');
const GRANT = `mutation($userId: ID!, $credits: Int!, $reason: String!) { grantCredits(userId: $userId, credits: $credits, reason: $reason) { credits } }`;
const LEDGER = `query($userId: ID, $first: Int, $after: String) { creditLedger(userId: $userId, first: $first, after: $after) { totalCount edges { node { id userId kind credits balanceAfter reason actorId } } pageInfo { hasNextPage endCursor } } }`;
const USAGE = `query($id: ID!, $from: DateTime, $to: DateTime) { _entities(representations: [{ __typename: "User", id: $id }]) { ... on User { usage(from: $from, to: $to) { credits generations promptTokens byModel { model credits } byDay { day model generations } } } } }`;

interface LedgerPage {
  totalCount: number;
  edges: Array<{
    node: {
      id: string;
      userId: string | null;
      kind: string;
      credits: number;
      balanceAfter: number | null;
      reason: string;
      actorId: string | null;
    };
  }>;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
}

describe('grantCredits, the audit log and usage', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRateLimit({ STARTING_CREDITS: '100' });
    await register(h, 'g1');
    await register(h, 'g2');
    await eventually(
      async () => (await creditsOf(h, 'g1')) !== undefined && (await creditsOf(h, 'g2')) !== undefined,
      (v) => v,
      h.tries,
    );
  });
  afterAll(() => h.dispose());

  it('adds credits for an ADMIN, keeps the change in the audit log and publishes the new balance', async () => {
    const seen: Array<{ credits: number; version: number; reason: string }> = [];
    await h.bus.subscribe({
      groupId: `test-${newId()}`,
      topics: [rateLimitBalanceV1.topic],
      handler: async (d) => {
        const event = rateLimitBalanceV1.validate(d.event);
        if (event.subject.userId === 'g1' && event.type === 'balance.changed') seen.push(event.payload);
      },
    });
    const balance = ok<{ credits: number }>(
      await h.gql(ADMIN, GRANT, { userId: 'g1', credits: 250, reason: '  support ticket 42 ' }),
      'grantCredits',
    );
    expect(balance.credits).toBe(350);
    const page = ok<LedgerPage>(await h.gql(ADMIN, LEDGER, { userId: 'g1' }), 'creditLedger');
    expect(page.totalCount).toBe(2);
    expect(
      page.edges.map((e) => ({
        kind: e.node.kind,
        credits: e.node.credits,
        balanceAfter: e.node.balanceAfter,
        reason: e.node.reason,
        actorId: e.node.actorId,
      })),
    ).toEqual([
      { kind: 'GRANT', credits: 250, balanceAfter: 350, reason: 'support ticket 42', actorId: 'admin-1' },
      { kind: 'OPENING', credits: 100, balanceAfter: 100, reason: 'starting balance', actorId: null },
    ]);
    await eventually(
      async () => seen.length,
      (n) => n >= 2,
      h.tries,
    );
    expect(seen).toEqual([
      { credits: 100, version: 1, reason: 'opening' },
      { credits: 350, version: 2, reason: 'grant' },
    ]);
  });

  it('pages the audit log', async () => {
    const first = ok<LedgerPage>(await h.gql(ADMIN, LEDGER, { first: 1 }), 'creditLedger');
    expect(first.edges).toHaveLength(1);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = ok<LedgerPage>(await h.gql(ADMIN, LEDGER, { first: 10, after: first.pageInfo.endCursor }), 'creditLedger');
    expect(next.edges.map((e) => e.node.id)).not.toContain(first.edges[0]?.node.id);
    expect(next.edges.length + 1).toBe(first.totalCount);
  });

  it('refuses bad amounts and reasons, unknown users and non-admins with a code, and changes nothing', async () => {
    const before = await creditsOf(h, 'g2');
    const entries = await h.collections.ledger.count({});
    const refusal = async (principal: typeof ADMIN, vars: Record<string, unknown>) => {
      const res = await h.gql(principal, GRANT, vars);
      return { code: codeOf(res), field: res.errors?.[0]?.extensions?.field };
    };
    expect(await refusal(ADMIN, { userId: 'g2', credits: -5, reason: 'x' })).toEqual({ code: 'BAD_USER_INPUT', field: 'credits' });
    expect(await refusal(ADMIN, { userId: 'g2', credits: 0, reason: 'x' })).toEqual({ code: 'BAD_USER_INPUT', field: 'credits' });
    expect(await refusal(ADMIN, { userId: 'g2', credits: 1_000_000_001, reason: 'x' })).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'credits',
    });
    expect(codeOf(await h.gql(ADMIN, GRANT, { userId: 'g2', credits: 2 ** 40, reason: 'x' }))).toBe('BAD_USER_INPUT');
    expect(await refusal(ADMIN, { userId: 'g2', credits: 5, reason: '   ' })).toEqual({ code: 'BAD_USER_INPUT', field: 'reason' });
    expect(await refusal(ADMIN, { userId: 'g2', credits: 5, reason: 'x'.repeat(501) })).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'reason',
    });
    expect(await refusal(ADMIN, { userId: 'nobody', credits: 5, reason: 'x' })).toEqual({ code: 'NOT_FOUND', field: 'userId' });
    expect((await refusal(userPrincipal('g2'), { userId: 'g2', credits: 5, reason: 'x' })).code).toBe('FORBIDDEN');
    expect(codeOf(await h.gql(userPrincipal('g2'), LEDGER, {}))).toBe('FORBIDDEN');
    expect(codeOf(await h.gql(userPrincipal('g2'), 'query { usageTotals { credits } }'))).toBe('FORBIDDEN');
    // A grant that would overflow the balance (a GraphQL Int).
    await h.gql(ADMIN, GRANT, { userId: 'g2', credits: 1_000_000_000, reason: 'big' });
    await h.gql(ADMIN, GRANT, { userId: 'g2', credits: 1_000_000_000, reason: 'big' });
    const full = await creditsOf(h, 'g2');
    const entriesFull = await h.collections.ledger.count({});
    expect(await refusal(ADMIN, { userId: 'g2', credits: 1_000_000_000, reason: 'too big' })).toEqual({
      code: 'BAD_USER_INPUT',
      field: 'credits',
    });
    expect(await creditsOf(h, 'g2')).toBe(full);
    expect(await h.collections.ledger.count({})).toBe(entriesFull);
    expect(before).toBe(100);
    expect(entriesFull).toBe(entries + 2);
  });

  it("shows a user their own usage by model and day, refuses another user's, and ADMIN totals", async () => {
    await deliver(h, completion('g1', 'local-demo', { promptTokens: 7, completionTokens: 3 }));
    await eventually(
      () => h.collections.ledger.count({ userId: 'g1', kind: 'DEBIT', state: 'applied' }),
      (n) => n === 1,
      h.tries,
    );
    const [own] = ok<
      Array<{
        usage: {
          generations: number;
          promptTokens: number;
          byModel: Array<{ model: string }>;
          byDay: Array<{ day: string; generations: number }>;
        };
      }>
    >(await h.gql(userPrincipal('g1'), USAGE, { id: 'g1' }), '_entities');
    expect(own?.usage.generations).toBe(1);
    expect(own?.usage.promptTokens).toBe(7);
    expect(own?.usage.byModel.map((m) => m.model)).toEqual(['local-demo']);
    expect(own?.usage.byDay).toEqual([{ day: new Date().toISOString().slice(0, 10), model: 'local-demo', generations: 1 }]);
    expect(codeOf(await h.gql(userPrincipal('g2'), USAGE, { id: 'g1' }))).toBe('FORBIDDEN');
    expect(
      codeOf(
        await h.gql(
          userPrincipal('g2'),
          `query($id: ID!) { _entities(representations: [{ __typename: "User", id: $id }]) { ... on User { balance { credits } } } }`,
          { id: 'g1' },
        ),
      ),
    ).toBe('FORBIDDEN');
    expect(codeOf(await h.gql(userPrincipal('g1'), USAGE, { id: 'g1', from: '2025-01-02T00:00:00Z', to: '2025-01-01T00:00:00Z' }))).toBe(
      'BAD_USER_INPUT',
    );
    expect(codeOf(await h.gql(userPrincipal('g1'), USAGE, { id: 'g1', from: '2020-01-01T00:00:00Z', to: '2025-01-01T00:00:00Z' }))).toBe(
      'BAD_USER_INPUT',
    );
    const totals = ok<{ generations: number; users: number }>(
      await h.gql(ADMIN, 'query { usageTotals { generations users } }'),
      'usageTotals',
    );
    expect(totals).toEqual({ generations: 1, users: 1 });
  });

  it("removes a deleted user's balance and usage, anonymises the audit log and charges nothing later", async () => {
    const deleted = identityUserV1.create('user.deleted', { userId: 'g1' }, { by: 'admin-1' });
    await h.bus.publish(identityUserV1.topic, [{ key: 'g1', event: deleted }]);
    await h.bus.publish(identityUserV1.topic, [{ key: 'g1', event: deleted }]);
    await eventually(
      () => h.collections.ledger.count({ userId: 'g1' }),
      (n) => n === 0,
      h.tries,
    );
    expect(await h.collections.balances.findOne({ _id: 'g1', _deleted: { $ne: true } })).toBeNull();
    expect(await h.collections.dailyUsage.count({ userId: 'g1' })).toBe(0);
    // Kept, without the user: the amounts for the totals.
    expect(await h.collections.ledger.count({ userId: null, kind: { $in: ['OPENING', 'GRANT', 'DEBIT'] } })).toBeGreaterThanOrEqual(3);
    const late = completion('g1', 'local-demo', { promptTokens: 1, completionTokens: 1 });
    await deliver(h, late);
    const voided = await eventually(
      () => h.collections.ledger.findById(`debit:${late.id}`),
      (e) => e?.state === 'void',
      h.tries,
    );
    expect(voided?.userId).toBeNull();
    expect(await h.collections.balances.findOne({ _id: 'g1', _deleted: { $ne: true } })).toBeNull();
    expect(codeOf(await h.gql(ADMIN, GRANT, { userId: 'g1', credits: 5, reason: 'x' }))).toBe('NOT_FOUND');
  });
});
