import type { Redis } from 'ioredis';
import { deliver } from '../deliver';
import type { AdapterLogger } from '../../adapterLogger';
import type { MessageHandler, Unsubscribe } from '../port';

interface Channel {
  handlers: Set<MessageHandler>;
  /** Settles when Redis acknowledged the SUBSCRIBE; later subscribers wait for it too. */
  subscribed: Promise<void>;
}

/**
 * Pub/sub over one subscriber connection for the whole process: Redis SUBSCRIBEs a channel once,
 * and messages fan out to the local handlers. ioredis re-subscribes after a reconnect; messages
 * published while the connection was down are lost (pub/sub is at-most-once, as documented).
 */
export class RedisPubSub {
  private readonly channels = new Map<string, Channel>();

  constructor(
    private readonly subscriber: Redis,
    private readonly logger: AdapterLogger,
    private readonly mapError: (error: unknown) => Error,
  ) {
    subscriber.on('message', (channel: string, message: string) => this.dispatch(channel, message));
  }

  /** `channel` is the full Redis channel name; `name` is what the caller subscribed to. */
  async subscribe(channel: string, name: string, handler: MessageHandler): Promise<Unsubscribe> {
    const subscription: MessageHandler = (message) => handler(message, name);
    let entry = this.channels.get(channel);
    if (!entry) {
      const created: Channel = { handlers: new Set(), subscribed: this.subscriber.subscribe(channel).then(() => undefined) };
      // A refused SUBSCRIBE forgets the channel, so the next subscriber tries again.
      created.subscribed.catch(() => {
        if (this.channels.get(channel) === created) this.channels.delete(channel);
      });
      this.channels.set(channel, created);
      entry = created;
    }
    entry.handlers.add(subscription);
    try {
      await entry.subscribed;
    } catch (error) {
      entry.handlers.delete(subscription);
      throw this.mapError(error);
    }
    const current = entry;
    let done = false;
    return async () => {
      if (done) return;
      done = true;
      current.handlers.delete(subscription);
      if (current.handlers.size > 0 || this.channels.get(channel) !== current) return;
      this.channels.delete(channel);
      // Commands on one connection run in order, so a later SUBSCRIBE of the same channel wins.
      await this.subscriber
        .unsubscribe(channel)
        .catch((error: unknown) => this.logger.warn({ err: String(error), channel }, 'kv unsubscribe failed; stray messages are ignored'));
    };
  }

  /** Forgets every handler (on stop; the connection is closed by the store). */
  clear(): void {
    this.channels.clear();
  }

  private dispatch(channel: string, message: string): void {
    const entry = this.channels.get(channel);
    if (!entry) return;
    for (const handler of [...entry.handlers]) {
      if (entry.handlers.has(handler)) deliver(this.logger, handler, message, channel);
    }
  }
}
