import type { GraphQLError } from 'graphql';
import type { Principal } from '@chatgraph/kit';
import type { UpstreamConnections, UpstreamEvent, UpstreamRequest, UpstreamSink } from './upstreamConnections';

/** One upstream subscription, as the client subscriptions sharing it see it. */
export type UpstreamListener = UpstreamSink;

/** What identifies an upstream subscription: the same key means the same events. */
export interface UpstreamTarget {
  url: string;
  principal: Principal;
  /** The primary operation without its generated name (see SubscriptionPlan.upstreamKey). */
  operationKey: string;
  request: UpstreamRequest;
}

/** One subscription to a subgraph and the client subscriptions it feeds. */
class SharedUpstream {
  readonly listeners = new Set<UpstreamListener>();
  /** Every event so far, for late joiners; undefined once over the bound (then nobody joins). */
  history: UpstreamEvent[] | undefined = [];
  unsubscribe: (() => void) | undefined;
  ended = false;
}

export interface SharedUpstreamsOptions {
  connections: UpstreamConnections;
  /** Most events remembered for late joiners; past it, the upstream is not shared any more. */
  maxHistory: number;
}

/**
 * Deduplicates upstream subscriptions: identical subscriptions of one principal (same subgraph,
 * primary operation and variables) share one subscription to the subgraph. A late joiner first
 * receives the events the upstream already delivered (its history), so it sees exactly what a
 * subscription of its own would have; once the history is over `maxHistory` events, the upstream
 * stops taking joiners and the next identical subscription opens a new one.
 */
export class SharedUpstreams {
  private readonly joinable = new Map<string, SharedUpstream>();
  private readonly all = new Set<SharedUpstream>();

  constructor(private readonly options: SharedUpstreamsOptions) {}

  /** Upstream subscriptions open now. */
  get size(): number {
    return this.all.size;
  }

  /**
   * Feeds `listener` with the events of `target`, from the first one; returns the function that
   * leaves (the upstream is unsubscribed when its last listener leaves).
   */
  join(target: UpstreamTarget, listener: UpstreamListener): () => void {
    const key = `${target.url}\n${JSON.stringify(target.principal)}\n${target.operationKey}\n${JSON.stringify(target.request.variables)}`;
    let shared = this.joinable.get(key);
    if (shared?.history) {
      for (const event of shared.history) listener.next(event);
    } else {
      shared = this.open(key, target);
    }
    const upstream = shared;
    upstream.listeners.add(listener);
    return () => {
      if (!upstream.listeners.delete(listener) || upstream.listeners.size > 0 || upstream.ended) return;
      this.end(key, upstream);
      upstream.unsubscribe?.();
    };
  }

  private open(key: string, target: UpstreamTarget): SharedUpstream {
    const upstream = new SharedUpstream();
    this.joinable.set(key, upstream);
    this.all.add(upstream);
    const { maxHistory } = this.options;
    upstream.unsubscribe = this.options.connections.subscribe(target.url, target.principal, target.request, {
      next: (event) => {
        if (upstream.history) {
          if (upstream.history.length < maxHistory) upstream.history.push(event);
          else {
            upstream.history = undefined;
            if (this.joinable.get(key) === upstream) this.joinable.delete(key);
          }
        }
        for (const listener of [...upstream.listeners]) listener.next(event);
      },
      error: (errors: readonly GraphQLError[]) => {
        this.end(key, upstream);
        for (const listener of [...upstream.listeners]) listener.error(errors);
      },
      complete: () => {
        this.end(key, upstream);
        for (const listener of [...upstream.listeners]) listener.complete();
      },
    });
    return upstream;
  }

  private end(key: string, upstream: SharedUpstream): void {
    upstream.ended = true;
    upstream.history = undefined;
    if (this.joinable.get(key) === upstream) this.joinable.delete(key);
    this.all.delete(upstream);
  }
}
