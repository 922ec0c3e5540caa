import { identityUserV1 } from '@chatgraph/schema';
import { createLogger } from '../../src';
import { DEAD_LETTER_HEADERS, deliverRecord, type ConsumedRecord, type DeliveryContext } from '../../src/events/delivery';

/**
 * An event that breaks its topic's contract (checked by the zod schemas of schema/events) is
 * dead-lettered at once, its handler never called, with the offending field and a readable
 * reason in the dead letter's headers, so `pnpm dlq` tells an operator what was wrong.
 */

function record(payload: unknown): ConsumedRecord {
  const event = identityUserV1.create(
    'user.registered',
    { userId: 'u1' },
    { email: 'ada@example.com', name: 'Ada', role: 'USER', emailVerified: false },
  );
  return { topic: identityUserV1.topic, partition: 0, offset: '3', key: 'u1', value: JSON.stringify({ ...event, payload }), headers: {} };
}

function context(): DeliveryContext & { calls: number; deadLetters: Array<Record<string, string>> } {
  const ctx = {
    groupId: 'g',
    maxAttempts: 3,
    backoff: { initialMs: 1, maxMs: 1, multiplier: 1 },
    logger: createLogger({ name: 'test', level: 'silent' }),
    calls: 0,
    deadLetters: [] as Array<Record<string, string>>,
    handler: async () => {
      ctx.calls++;
    },
    sleep: async () => true,
    deadLetter: async (_record: ConsumedRecord, headers: Record<string, string>) => {
      ctx.deadLetters.push(headers);
    },
  };
  return ctx;
}

describe('an event that breaks its contract', () => {
  it.each([
    [{ email: 'ada@example.com', name: 'Ada', role: 'ROOT', emailVerified: false }, /^payload\.role: .*expected one of "USER"\|"ADMIN"/],
    [{ email: 'not-an-address', name: 'Ada', role: 'USER', emailVerified: false }, /^payload\.email: must be an email address$/],
    [{ email: 'ada@example.com', name: 'Ada', role: 'USER' }, /^payload\.emailVerified: .*expected boolean, received undefined/],
  ])('is dead-lettered at once with the field and the reason (%#)', async (payload, reason) => {
    const ctx = context();
    expect(await deliverRecord(record(payload), ctx)).toBe('dead-lettered');
    expect(ctx.calls).toBe(0);
    expect(ctx.deadLetters).toHaveLength(1);
    expect(ctx.deadLetters[0]?.[DEAD_LETTER_HEADERS.error]).toBe('EventValidationError');
    expect(ctx.deadLetters[0]?.[DEAD_LETTER_HEADERS.errorMessage]).toMatch(reason);
    expect(ctx.deadLetters[0]?.[DEAD_LETTER_HEADERS.attempts]).toBe('1');
  });

  it('is handled when it fits', async () => {
    const ctx = context();
    expect(
      await deliverRecord(record({ email: 'ada@example.com', name: 'Ada', role: 'USER', emailVerified: true, locale: 'fr' }), ctx),
    ).toBe('handled');
    expect(ctx.calls).toBe(1);
  });
});
