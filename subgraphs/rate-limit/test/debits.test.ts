import { completion, creditsOf, deliver, eventually, failingOnce, ready, register, startRateLimit, type Harness } from './harness';

describe('debits from generation.completed', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startRateLimit({ STARTING_CREDITS: '10000', UNPRICED_INPUT_PRICE_PER_MTOK: '1', UNPRICED_OUTPUT_PRICE_PER_MTOK: '2' });
  });
  afterAll(() => h.dispose());

  it('debits token usage × the catalog prices, records it in the audit log and the daily usage', async () => {
    await ready(h, 'd1');
    const event = completion('d1', 'priced', { promptTokens: 100, completionTokens: 20 });
    await deliver(h, event);
    // 100 × 3 + 20 × 15 = 600 credits ($0.0006).
    const entry = await eventually(
      () => h.collections.ledger.findById(`debit:${event.id}`),
      (e) => e?.state === 'applied',
      h.tries,
    );
    expect(await creditsOf(h, 'd1')).toBe(9_400);
    expect(entry).toMatchObject({
      userId: 'd1',
      kind: 'DEBIT',
      credits: -600,
      balanceAfter: 9_400,
      state: 'applied',
      model: 'priced',
      promptTokens: 100,
      completionTokens: 20,
    });
    // The markers that made it idempotent are pulled right after the entry is marked applied.
    const rows = await eventually(
      () => h.collections.dailyUsage.find({ userId: 'd1' }),
      (r) => r.every((row) => (row._charges ?? []).length === 0),
      h.tries,
    );
    expect(rows.map((r) => ({ model: r.model, credits: r.credits, generations: r.generations, charges: r._charges ?? [] }))).toEqual([
      { model: 'priced', credits: 600, generations: 1, charges: [] },
    ]);
    const balance = await eventually(
      () => h.collections.balances.findById('d1'),
      (b) => (b?._charges ?? []).length === 0,
      h.tries,
    );
    expect(balance?._charges ?? []).toEqual([]);
  });

  it('debits a redelivered event once', async () => {
    await register(h, 'd2');
    await eventually(
      () => creditsOf(h, 'd2'),
      (c) => c === 10_000,
      h.tries,
    );
    const event = completion('d2', 'priced', { promptTokens: 10, completionTokens: 10 });
    await deliver(h, event);
    await deliver(h, event);
    const other = completion('d2', 'priced', { promptTokens: 1, completionTokens: 0 });
    // A later event on the same key, so it is consumed after both copies: once it is applied, so were they.
    await h.bus.publish('ai.generation.v1', [{ key: event.subject.conversationId ?? '', event: other }]);
    await eventually(
      () => h.collections.ledger.count({ userId: 'd2', kind: 'DEBIT', state: 'applied' }),
      (n) => n === 2,
      h.tries,
    );
    expect(await creditsOf(h, 'd2')).toBe(10_000 - 180 - 3);
    expect(await h.collections.ledger.count({ userId: 'd2', kind: 'DEBIT' })).toBe(2);
    const [row] = await h.collections.dailyUsage.find({ userId: 'd2' });
    expect(row?.generations).toBe(2);
  });

  it('charges a model the catalog does not price at the UNPRICED rates, and a free model nothing', async () => {
    await register(h, 'd3');
    await eventually(
      () => creditsOf(h, 'd3'),
      (c) => c === 10_000,
      h.tries,
    );
    await deliver(h, completion('d3', 'unpriced', { promptTokens: 1000, completionTokens: 1000 }));
    await deliver(h, completion('d3', 'free', { promptTokens: 1000, completionTokens: 1000 }));
    // $1 and $2 per million tokens: 1 and 2 credits per token.
    await eventually(
      () => h.collections.ledger.count({ userId: 'd3', kind: 'DEBIT', state: 'applied' }),
      (n) => n === 2,
      h.tries,
    );
    expect(await creditsOf(h, 'd3')).toBe(10_000 - 3_000);
  });

  it('opens the balance of a user whose registration it never saw at the first debit', async () => {
    await deliver(h, completion('d4', 'priced', { promptTokens: 1, completionTokens: 1 }));
    await eventually(
      () => h.collections.ledger.count({ userId: 'd4', kind: 'DEBIT', state: 'applied' }),
      (n) => n === 1,
      h.tries,
    );
    expect(await creditsOf(h, 'd4')).toBe(10_000 - 18);
    expect(await h.collections.ledger.findById('opening:d4')).toMatchObject({ kind: 'OPENING', credits: 10_000 });
  });
});

describe("debits under the bus's redelivery after a failure half-way", () => {
  const failures = { left: 0 };
  let h: Harness;
  beforeAll(async () => {
    h = await startRateLimit({ STARTING_CREDITS: '10000' }, (store) => failingOnce(store, failures));
  });
  afterAll(() => h.dispose());

  it('finishes the debit on the retry without debiting again', async () => {
    await ready(h, 'r1');
    failures.left = 1;
    const event = completion('r1', 'priced', { promptTokens: 100, completionTokens: 0 });
    await deliver(h, event);
    const entry = await eventually(
      () => h.collections.ledger.findById(`debit:${event.id}`),
      (e) => e?.state === 'applied',
      h.tries,
    );
    expect(failures.left).toBe(0);
    expect(entry?.state).toBe('applied');
    expect(await creditsOf(h, 'r1')).toBe(10_000 - 300);
    expect((await h.collections.dailyUsage.find({ userId: 'r1' }))[0]?.generations).toBe(1);
  });
});
