import type { Logger } from '../logger';
import { DEFAULT_BACKOFF, DEFAULT_MAX_ATTEMPTS, type DeliveryContext } from './delivery';
import { checkGroupId, checkTopic } from './names';
import { EventBusStateError, type SubscribeOptions } from './port';

type Phase = 'new' | 'running' | 'stopping' | 'stopped';

/**
 * The lifecycle both event-bus adapters share: `new` → `running` → `stopping` → `stopped`,
 * `start()` and `stop()` memoised (safe to call twice), and `stop()` draining consumers before
 * the adapter closes what they publish through.
 */
export class EventBusLifecycle {
  private phase: Phase = 'new';
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;

  /** `label` names the bus in refusals, e.g. `the Kafka event bus`. */
  constructor(private readonly label: string) {}

  /** Runs `open` once; the bus accepts calls once it resolves. */
  start(open: () => Promise<void>): Promise<void> {
    if (this.phase === 'stopping' || this.phase === 'stopped')
      return Promise.reject(new EventBusStateError(`${this.label} was stopped; create a new one`));
    this.starting ??= (async () => {
      await open();
      this.phase = 'running';
    })();
    return this.starting;
  }

  /** Refuses any later start, for an adapter whose failed start left nothing to retry with. */
  abandon(): void {
    this.phase = 'stopped';
  }

  /** Throws `EventBusStateError` unless running (or stopping, when `allowStopping`). */
  requireRunning(action: string, allowStopping = false): void {
    if (this.phase === 'running' || (allowStopping && this.phase === 'stopping')) return;
    throw new EventBusStateError(`cannot ${action}: ${this.label} is ${this.phase === 'new' ? 'not started' : this.phase}`);
  }

  /** Once: `drain` while stopping (publishing still allowed), then `close` once stopped; no-op unless it ran. */
  stop(drain: () => Promise<void>, close: () => Promise<void>): Promise<void> {
    this.stopping ??= (async () => {
      await this.starting?.catch(() => undefined);
      if (this.phase !== 'running') {
        this.phase = 'stopped';
        return;
      }
      this.phase = 'stopping';
      await drain();
      this.phase = 'stopped';
      await close();
    })();
    return this.stopping;
  }
}

/** Checks a `subscribe()` call's group and topics and builds its members' delivery settings. */
export function subscriptionDelivery(options: SubscribeOptions, logger: Logger): Omit<DeliveryContext, 'sleep' | 'deadLetter'> {
  checkGroupId(options.groupId);
  if (options.topics.length === 0) throw new Error('subscribe needs at least one topic');
  options.topics.forEach(checkTopic);
  return {
    groupId: options.groupId,
    handler: options.handler,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
    logger,
  };
}
