import { rateLimitBalanceV1 } from '@chatgraph/schema';
import { CreditBalanceView, creditBalancesSpec } from '../src/creditBalances';
import { codeOf, eventually, send, startConversation, userPrincipal, type Harness } from './harness';

async function publishBalance(h: Harness, userId: string, credits: number, version: number): Promise<void> {
  const event = rateLimitBalanceV1.create('balance.changed', { userId }, { credits, version, reason: 'debit' });
  await h.bus.publish(rateLimitBalanceV1.topic, [{ key: userId, event }]);
}

async function balanceSeen(h: Harness, userId: string, version: number): Promise<void> {
  const collection = h.store.collection(creditBalancesSpec);
  await eventually(
    () => collection.findById(userId),
    (b) => (b?.version ?? 0) >= version,
    h.tries,
  );
}

describe('sendMessage with BALANCE_ENFORCED', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startConversation({ env: { BALANCE_ENFORCED: 'true' } });
  });
  afterAll(() => h.dispose());

  it('refuses every turn with PAYMENT_REQUIRED at zero credits, writing nothing, and accepts again after a grant', async () => {
    const alice = userPrincipal('alice');
    const turn = await send(h, alice, { content: 'hello' });
    await publishBalance(h, 'alice', 0, 2);
    await balanceSeen(h, 'alice', 2);
    const messages = await h.collections.messages.count({});
    const refused = await h.gql(alice, 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { streamId } }', {
      input: { content: 'again' },
    });
    expect(codeOf(refused)).toBe('PAYMENT_REQUIRED');
    expect(refused.errors?.[0]?.extensions?.credits).toBe(0);
    expect(
      codeOf(await h.gql(alice, 'mutation($id: ID!) { regenerateMessage(messageId: $id) { streamId } }', { id: turn.assistantMessage.id })),
    ).toBe('PAYMENT_REQUIRED');
    expect(
      codeOf(
        await h.gql(alice, 'mutation($input: EditMessageInput!) { editMessage(input: $input) { streamId } }', {
          input: { messageId: turn.userMessage.id, content: 'x' },
        }),
      ),
    ).toBe('PAYMENT_REQUIRED');
    expect(await h.collections.messages.count({})).toBe(messages);

    // An older event delivered late changes nothing; the grant's newer balance lets her send again.
    await publishBalance(h, 'alice', 500, 3);
    await publishBalance(h, 'alice', 50, 1);
    await balanceSeen(h, 'alice', 3);
    await send(h, alice, { content: 'paid again' });
    expect(await new CreditBalanceView(h.store).check('alice')).toBeUndefined();
  });

  it('lets a user with a negative balance know how far below they are, and lets other users send', async () => {
    await publishBalance(h, 'bob', -42, 5);
    await balanceSeen(h, 'bob', 5);
    const refused = await h.gql(userPrincipal('bob'), 'mutation($input: SendMessageInput!) { sendMessage(input: $input) { streamId } }', {
      input: { content: 'hi' },
    });
    expect(codeOf(refused)).toBe('PAYMENT_REQUIRED');
    expect(refused.errors?.[0]?.extensions?.credits).toBe(-42);
    // No balance seen yet for carol: let through (see creditBalances.ts).
    await send(h, userPrincipal('carol'), { content: 'hi' });
  });
});

describe('sendMessage with BALANCE_ENFORCED off (the default)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startConversation();
  });
  afterAll(() => h.dispose());

  it('accepts turns at zero credits, while keeping the read model current', async () => {
    await publishBalance(h, 'dave', 0, 2);
    await balanceSeen(h, 'dave', 2);
    await send(h, userPrincipal('dave'), { content: 'hello' });
  });
});
