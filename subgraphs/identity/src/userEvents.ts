import { insertWithOutbox, newId, outboxEvent, type Collection } from '@chatgraph/kit';
import { identityUserV1, type IdentityUserEvent } from '@chatgraph/schema';
import type { IdentityOutboxDoc } from './store';

type EventOf<T extends IdentityUserEvent['type']> = Extract<IdentityUserEvent, { type: T }>;

/**
 * Queues `identity.user.v1` events. Identity's changes span several documents (a user, its
 * sessions, keys and tokens), so each event rides on an outbox document of its own, stored as a
 * tombstone: the relay publishes it, then removes the document. Written right after the change it
 * announces; a crash in between loses that one event (the change itself is kept).
 */
export class UserEvents {
  constructor(
    private readonly outbox: Collection<IdentityOutboxDoc>,
    private readonly now: () => Date,
    /** Wakes the relay so the event goes out now rather than at its next poll. */
    private readonly queued: () => void,
  ) {}

  async emit<T extends IdentityUserEvent['type']>(type: T, userId: string, payload: EventOf<T>['payload']): Promise<void> {
    // The contract's types cannot be narrowed from the generic `T` here; `create` validates both at run time.
    const event = identityUserV1.create(type, { userId } as never, payload as never);
    const carrier = { _id: newId(), userId, createdAt: this.now(), _deleted: true };
    await this.outbox.insertOne(insertWithOutbox(carrier, [outboxEvent(identityUserV1.topic, userId, event)]));
    this.queued();
  }
}
