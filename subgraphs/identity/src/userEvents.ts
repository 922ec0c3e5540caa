import { newId } from '@chatgraph/kit';
import type { Collection } from '@chatgraph/kit/store';
import { insertWithOutbox, outboxEvent, type OutboxEvent } from '@chatgraph/kit/events';
import { identityUserV1, type IdentityUserEvent } from '@chatgraph/schema';
import type { IdentityOutboxDoc } from './store';

type EventOf<T extends IdentityUserEvent['type']> = Extract<IdentityUserEvent, { type: T }>;

/**
 * An `identity.user.v1` event for the user document's own outbox: written by the same
 * single-document write as the change it announces (`insertWithOutbox` / `updateWithOutbox`), so
 * a crash can lose neither without the other.
 */
export function userEvent<T extends IdentityUserEvent['type']>(type: T, userId: string, payload: EventOf<T>['payload']): OutboxEvent {
  // The contract's types cannot be narrowed from the generic `T` here; `create` validates both at run time.
  return outboxEvent(identityUserV1.topic, userId, identityUserV1.create(type, { userId } as never, payload as never));
}

/**
 * Queues `user.deleted`, the one event that outlives the user document: it rides on an outbox
 * document of its own (a tombstone the relay removes once published), written BEFORE the account's
 * documents are removed, so a crash half-way leaves the intent queued and a retried deletion
 * finishes the rest.
 */
export class UserEvents {
  constructor(
    private readonly outbox: Collection<IdentityOutboxDoc>,
    private readonly now: () => Date,
    /** Wakes the relay so the event goes out now rather than at its next poll. */
    private readonly queued: () => void,
  ) {}

  async deleted(userId: string, by: string): Promise<void> {
    const carrier = { _id: newId(), userId, createdAt: this.now(), _deleted: true };
    await this.outbox.insertOne(insertWithOutbox(carrier, [userEvent('user.deleted', userId, { by })]));
    this.queued();
  }
}
