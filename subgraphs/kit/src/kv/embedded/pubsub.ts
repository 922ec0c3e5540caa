import type { AdapterLogger } from '../../adapterLogger';
import { deliver } from '../deliver';
import type { MessageHandler, Unsubscribe } from '../port';

/**
 * In-process pub/sub with Redis's delivery semantics: asynchronous (never inside `publish`),
 * in publish order per channel, to the subscribers present when the message is published and
 * still present when it is delivered.
 */
export class EmbeddedPubSub {
  private readonly channels = new Map<string, Set<MessageHandler>>();

  constructor(private readonly logger: AdapterLogger) {}

  publish(channel: string, message: string): void {
    const handlers = this.channels.get(channel);
    if (!handlers || handlers.size === 0) return;
    const recipients = [...handlers];
    // One macrotask per message keeps publish order and lets the publisher's code run first.
    setImmediate(() => {
      for (const handler of recipients) {
        if (this.channels.get(channel)?.has(handler)) deliver(this.logger, handler, message, channel);
      }
    });
  }

  subscribe(channel: string, handler: MessageHandler): Unsubscribe {
    // Wrapped so the same function subscribed twice is two subscriptions, as the port promises.
    const subscription: MessageHandler = (message, from) => handler(message, from);
    let handlers = this.channels.get(channel);
    if (!handlers) {
      handlers = new Set();
      this.channels.set(channel, handlers);
    }
    handlers.add(subscription);
    return async () => {
      const current = this.channels.get(channel);
      current?.delete(subscription);
      if (current?.size === 0) this.channels.delete(channel);
    };
  }

  /** Drops every subscription (on stop). */
  clear(): void {
    this.channels.clear();
  }
}
