import { GraphQLError } from 'graphql';
import type { ExecutionResult } from 'graphql-ws';
import { subscriptionEnd } from './errors';
import { eventBytes, type BudgetHolder, type QueueBudget } from './queueBudget';
import type { UpstreamListener } from './sharedUpstreams';
import type { UpstreamEvent } from './upstreamConnections';

/** What a client subscription does with each event before it is sent: hydrate and shape it. */
export type EventShaper = (event: UpstreamEvent) => Promise<ExecutionResult>;

export interface ClientSubscriptionOptions {
  /** Most events waiting to be sent; one more ends the subscription with SLOW_CONSUMER. */
  queueLimit: number;
  /** The bytes waiting in every client's queue: over it, the slowest are ended with SLOW_CONSUMER. */
  budget?: QueueBudget;
  shape: EventShaper;
  /** Joins the upstream; returns the function leaving it. Called once, on start. */
  join(listener: UpstreamListener): () => void;
  /** Called once when the subscription ends, however it ends. */
  onEnd(reason: 'complete' | 'error' | 'slow' | 'cancelled'): void;
}

type Waiter = { resolve(result: IteratorResult<ExecutionResult>): void; reject(err: unknown): void };

/**
 * One client subscription, as the async iterator graphql-ws pulls from. graphql-ws pulls the next
 * event only once the previous one was written to the socket, so events received meanwhile wait
 * in a bounded queue: a client reading slower than events arrive overflows it, and the
 * subscription then ends at once with SLOW_CONSUMER (the client resumes with `after`): events are
 * never silently dropped. Each event is hydrated (the `_entities` fetches of the plan) when it is
 * pulled, so hydration runs in order and at the client's pace.
 */
export class ClientSubscription implements AsyncIterableIterator<ExecutionResult>, BudgetHolder {
  private readonly queue: UpstreamEvent[] = [];
  private waiter: Waiter | undefined;
  /** Set when the subscription ends: after the queued events (upstream end) or at once. */
  private ending: { errors: readonly GraphQLError[] | undefined } | undefined;
  private leave: (() => void) | undefined;
  private ended = false;

  constructor(private readonly options: ClientSubscriptionOptions) {}

  /** Joins the upstream; events start arriving. */
  start(): this {
    const leave = this.options.join({
      next: (event) => this.push(event),
      error: (errors) => this.finish(errors, false, 'error'),
      complete: () => this.finish(undefined, false, 'complete'),
    });
    // Ended while joining (the history replayed overflowed the queue): leave at once.
    if (this.ending) leave();
    else this.leave = leave;
    return this;
  }

  /** Events waiting to be sent. */
  get queued(): number {
    return this.queue.length;
  }

  /** Ends the subscription now with `error` (queued events are not sent: the client resumes). */
  end(error: GraphQLError): void {
    this.finish([error], true, 'error');
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  /** The budget ends this subscription: it holds the most bytes of all when memory runs out. */
  evict(maxBytes: number): void {
    const message = `The router's memory for waiting events (${maxBytes} bytes) is full and this client had the most waiting; resubscribe from the last event received`;
    this.finish([subscriptionEnd('SLOW_CONSUMER', message, { budgetBytes: maxBytes })], true, 'slow');
  }

  async next(): Promise<IteratorResult<ExecutionResult>> {
    const event = this.queue.shift();
    if (event) {
      this.options.budget?.release(this, eventBytes(event));
      return { done: false, value: await this.shaped(event) };
    }
    if (this.ending) return this.settle();
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
    });
  }

  /** The client completed, or its socket closed. */
  async return(): Promise<IteratorResult<ExecutionResult>> {
    this.finish(undefined, true, 'cancelled');
    this.waiter?.resolve({ done: true, value: undefined });
    this.waiter = undefined;
    return { done: true, value: undefined };
  }

  /**
   * The event shaped for the client. A failure ends the subscription with it (graphql-ws sends it
   * through the router's error boundary: a coded error keeps its code, the rest is INTERNAL, logged):
   * graphql-ws stops pulling after a failed `next()` without calling `return()`, so without this
   * the subscription would stay joined to its upstream and counted on its connection.
   */
  private async shaped(event: UpstreamEvent): Promise<ExecutionResult> {
    try {
      return await this.options.shape(event);
    } catch (err) {
      const error =
        err instanceof GraphQLError
          ? err
          : new GraphQLError(err instanceof Error ? err.message : String(err), { originalError: err instanceof Error ? err : undefined });
      this.finish([error], true, 'error');
      throw error;
    }
  }

  private push(event: UpstreamEvent): void {
    if (this.ending) return;
    const waiter = this.waiter;
    if (waiter) {
      this.waiter = undefined;
      this.shaped(event).then(
        (value) => waiter.resolve({ done: false, value }),
        (err: unknown) => waiter.reject(err),
      );
      return;
    }
    if (this.queue.length >= this.options.queueLimit) {
      const limit = this.options.queueLimit;
      this.finish(
        [
          subscriptionEnd(
            'SLOW_CONSUMER',
            `The client read too slowly: more than ${limit} events were waiting; resubscribe from the last one received`,
            { limit },
          ),
        ],
        true,
        'slow',
      );
      return;
    }
    this.queue.push(event);
    this.options.budget?.add(this, eventBytes(event));
  }

  private finish(
    errors: readonly GraphQLError[] | undefined,
    immediate: boolean,
    reason: 'complete' | 'error' | 'slow' | 'cancelled',
  ): void {
    if (this.ending) return;
    this.ending = { errors };
    if (immediate) {
      this.queue.length = 0;
      this.options.budget?.releaseAll(this);
    }
    this.leave?.();
    this.leave = undefined;
    if (!this.ended) {
      this.ended = true;
      this.options.onEnd(reason);
    }
    const waiter = this.waiter;
    if (waiter && this.queue.length === 0) {
      this.waiter = undefined;
      this.settle().then(waiter.resolve, waiter.reject);
    }
  }

  private async settle(): Promise<IteratorResult<ExecutionResult>> {
    const errors = this.ending?.errors;
    if (errors && errors.length > 0) throw errors[0];
    return { done: true, value: undefined };
  }
}
