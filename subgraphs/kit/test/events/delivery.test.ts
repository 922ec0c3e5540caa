import { deliverRecord, type ConsumedRecord, type DeliveryContext } from '../../src/events/delivery';
import { createLogger } from '../../src';
import { DocumentStoreUnavailableError } from '../../src/store';
import { EventBusUnavailableError } from '../../src/events';
import { KvUnavailableError } from '../../src/kv';
import { thing, uniqueTopic } from './helpers';

/**
 * What the consume pipeline does with a failing handler: a dependency that is down is waited for
 * (an outage longer than the retry budget must not dead-letter the event), anything else is
 * dead-lettered after `maxAttempts`.
 */

function record(): ConsumedRecord {
  const { key, event } = thing('k', 1);
  return { topic: uniqueTopic(), partition: 0, offset: '7', key, value: JSON.stringify(event), headers: {} };
}

/** A context whose handler throws `failures` in turn, then succeeds; sleeps are counted, not waited. */
function context(
  failures: unknown[],
  stopAfterSleeps = Infinity,
): DeliveryContext & { calls: number; sleeps: number[]; deadLettered: string[] } {
  const ctx = {
    groupId: 'g',
    maxAttempts: 3,
    backoff: { initialMs: 100, maxMs: 1000, multiplier: 2 },
    logger: createLogger({ name: 'test', level: 'silent' }),
    calls: 0,
    sleeps: [] as number[],
    deadLettered: [] as string[],
    handler: async () => {
      const failure = failures[ctx.calls++];
      if (failure !== undefined) throw failure;
    },
    sleep: async (ms: number) => {
      ctx.sleeps.push(ms);
      return ctx.sleeps.length <= stopAfterSleeps;
    },
    deadLetter: async (_record: ConsumedRecord, headers: Record<string, string>) => {
      ctx.deadLettered.push(headers.error ?? '');
    },
  };
  return ctx;
}

describe('deliverRecord', () => {
  it('retries a handler failing because a dependency is unavailable beyond maxAttempts, and never dead-letters it', async () => {
    const outage = [
      ...Array.from(
        { length: 6 },
        () => new DocumentStoreUnavailableError('document store unavailable (collection generations): connection 3 closed'),
      ),
      new EventBusUnavailableError('Kafka down'),
      // Wrapped by the handler: the cause says what it is.
      new Error('could not store the answer', { cause: new KvUnavailableError('Redis down') }),
    ];
    const ctx = context(outage);
    expect(await deliverRecord(record(), ctx)).toBe('handled');
    expect(ctx.calls).toBe(outage.length + 1);
    expect(ctx.deadLettered).toEqual([]);
    // Backing off as usual, up to its cap.
    expect(ctx.sleeps.slice(0, 5)).toEqual([100, 200, 400, 800, 1000]);
  });

  it('still dead-letters a handler that keeps failing for another reason after maxAttempts, outage failures not counted', async () => {
    const ctx = context([
      new DocumentStoreUnavailableError('down'),
      new Error('bad'),
      new DocumentStoreUnavailableError('down'),
      new Error('bad'),
      new Error('bad'),
      new Error('never reached'),
    ]);
    expect(await deliverRecord(record(), ctx)).toBe('dead-lettered');
    expect(ctx.calls).toBe(5);
    expect(ctx.deadLettered).toEqual(['Error']);
  });

  it('stops waiting for a dependency when the consumer stops, leaving the offset uncommitted', async () => {
    const ctx = context(
      Array.from({ length: 100 }, () => new DocumentStoreUnavailableError('down')),
      10,
    );
    expect(await deliverRecord(record(), ctx)).toBe('aborted');
    expect(ctx.deadLettered).toEqual([]);
  });
});
