import { randomBytes, randomUUID } from 'node:crypto';
import type { EventEnvelope } from '@chatgraph/schema';
import type { EventBus, EventDelivery, EventToPublish } from '../../src/events';

/** Shared helpers of the event-bus tests. */

/** Creates buses on one backing store (a data directory, or one Kafka cluster). */
export interface BusFactory {
  /** A new, not yet started bus; buses from one factory see the same topics and committed offsets. */
  create(): EventBus;
  cleanup(): Promise<void>;
}

/** A name unique to this run, so tests sharing a Kafka broker never see each other's topics or groups. */
export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(4).toString('hex')}`;
}

/** A topic unique to this run, following the `<aggregate>.<entity>.v<N>` convention. */
export function uniqueTopic(entity = 'thing'): string {
  return `test.${unique(entity)}.v1`;
}

/** A test event about `key` carrying `n`. */
export function thing(key: string, n: number): EventToPublish {
  const event: EventEnvelope = {
    id: randomUUID(),
    type: 'thing.happened',
    occurredAt: new Date().toISOString(),
    subject: { thingId: key },
    payload: { n },
  };
  return { key, event };
}

/** The `n` a test event carries. */
export function numberOf(delivery: EventDelivery): number {
  const payload = delivery.event.payload as { n?: unknown };
  if (typeof payload.n !== 'number') throw new Error(`event ${delivery.event.id} carries no n`);
  return payload.n;
}

/**
 * Polls `check` every 10 ms until it returns true. The bound only keeps a broken test from
 * hanging: nothing here asserts how long anything took.
 */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, boundMs = 20_000): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** A promise with its resolver, to hold a handler until the test lets it go. */
export function gate(): { promise: Promise<void>; open(): void } {
  let open = (): void => undefined;
  const promise = new Promise<void>((resolve) => (open = resolve));
  return { promise, open };
}

/** Collects deliveries; `handler` records and then runs `then` (which may throw to fail the attempt). */
export function recorder(then: (delivery: EventDelivery) => Promise<void> | void = () => undefined) {
  const deliveries: EventDelivery[] = [];
  return {
    deliveries,
    handler: async (delivery: EventDelivery): Promise<void> => {
      deliveries.push(delivery);
      await then(delivery);
    },
    ids: (): string[] => deliveries.map((delivery) => delivery.event.id),
  };
}
