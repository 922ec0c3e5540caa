import { completion, creditsOf, deliver, eventually, failingOnce, ready, realServersEnv, startRateLimit, type Harness } from './harness';

/** Debits on FerretDB + Kafka: a redelivery, and a retry after a failure half-way, debit once. */
describe('debits on the real servers', () => {
  const failures = { left: 0 };
  let h: Harness;
  beforeAll(async () => {
    h = await startRateLimit({ ...realServersEnv(), STARTING_CREDITS: '10000' }, (store) => failingOnce(store, failures));
  }, 120_000);
  afterAll(() => h?.dispose(), 60_000);

  it('debits an event delivered twice once', async () => {
    await ready(h, 'k1');
    const event = completion('k1', 'priced', { promptTokens: 10, completionTokens: 1 });
    await deliver(h, event);
    await deliver(h, event);
    const later = completion('k1', 'priced', { promptTokens: 1, completionTokens: 0 });
    await h.bus.publish('ai.generation.v1', [{ key: event.subject.conversationId ?? '', event: later }]);
    await eventually(
      () => h.collections.ledger.count({ userId: 'k1', kind: 'DEBIT', state: 'applied' }),
      (n) => n === 2,
      h.tries,
    );
    expect(await creditsOf(h, 'k1')).toBe(10_000 - 45 - 3);
  });

  it("finishes a debit that failed after the balance was written, on the bus's retry, without debiting again", async () => {
    failures.left = 1;
    const event = completion('k1', 'priced', { promptTokens: 100, completionTokens: 0 });
    const before = await creditsOf(h, 'k1');
    await deliver(h, event);
    await eventually(
      () => h.collections.ledger.findById(`debit:${event.id}`),
      (e) => e?.state === 'applied',
      h.tries,
    );
    expect(failures.left).toBe(0);
    expect(await creditsOf(h, 'k1')).toBe((before ?? 0) - 300);
    const balance = await eventually(
      () => h.collections.balances.findById('k1'),
      (b) => (b?._charges ?? []).length === 0,
      h.tries,
    );
    expect(balance?._charges ?? []).toEqual([]);
  });
});
