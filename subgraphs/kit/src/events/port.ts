import type { EventEnvelope } from '@chatgraph/schema';
import { DependencyUnavailableError } from '../dependencyUnavailable';

/**
 * The event-bus port. Services publish facts and consume them through it, so the same handlers
 * run on the embedded adapter (default, in-process, durable in a data directory) and on Kafka.
 * Delivery is at-least-once: handlers must be idempotent (see `idempotentHandler`).
 */

/** Message headers, as strings (Kafka headers are decoded as UTF-8). */
export type EventHeaders = Record<string, string>;

/** One event to publish and its partition key (the aggregate id: same key, same order). */
export interface EventToPublish {
  key: string;
  event: EventEnvelope;
  /** Headers for this event only; they win over `PublishOptions.headers`. */
  headers?: EventHeaders;
}

export interface PublishOptions {
  /**
   * Headers for every event of the call. A `traceparent` here (or on the event) is carried to
   * the handler; without one the bus takes the current trace context (`withTraceparent`) or
   * starts a new trace.
   */
  headers?: EventHeaders;
}

/** What a handler receives: a validated event and where it came from. */
export interface EventDelivery {
  topic: string;
  partition: number;
  /** The record's offset in its partition, as a decimal string (Kafka offsets exceed 2^53). */
  offset: string;
  key: string;
  event: EventEnvelope;
  headers: EventHeaders;
  groupId: string;
  /** 1 on the first delivery in this consumer's life, then 2, 3... while it is retried. */
  attempt: number;
}

/** Throwing makes the bus retry the event (same partition blocked, so per-key order holds). */
export type EventHandler = (delivery: EventDelivery) => Promise<void>;

/** Delay before retry n (n >= 1): `min(maxMs, initialMs * multiplier^(n-1))`. */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  multiplier: number;
}

export interface SubscribeOptions {
  /**
   * Consumer group: members of one group share the topics' partitions (each event handled by
   * one member); every group gets every event. A new group starts at the oldest retained event.
   * Letters, digits, `.`, `_` and `-` only.
   */
  groupId: string;
  topics: readonly string[];
  handler: EventHandler;
  /** Attempts before the event goes to `<topic>.dlq` (default 5). */
  maxAttempts?: number;
  /** Defaults: 100 ms, doubling, at most 10 s. */
  backoff?: Partial<BackoffOptions>;
  /**
   * Events of one partition handled at once, each key's still one at a time in order (default 1).
   * A handler that waits on a durable write per event runs at the store's commit latency times
   * this many per partition. Embedded bus only for now; Kafka handles a partition's events one
   * after another.
   */
  maxInFlightPerPartition?: number;
}

/** How far a consumer group is behind on one partition of a topic it consumes. */
export interface PartitionLag {
  topic: string;
  partition: number;
  /** Events in the partition not yet handled by the group: the log's end minus the group's committed offset. */
  lag: number;
}

/** A running consumer-group member. */
export interface Subscription {
  readonly groupId: string;
  readonly topics: readonly string[];
  /** The group's lag on every partition of its topics (the whole group's, not only this member's partitions). */
  lag(): Promise<PartitionLag[]>;
  /** Leaves the group: the event being handled finishes and its offset is committed. Safe twice. */
  stop(): Promise<void>;
}

export interface EventBus {
  /** Connects (Kafka) or opens the data directory (embedded). Fails fast when that is impossible. */
  start(): Promise<void>;
  /** Stops every subscription (in-flight handlers finish, offsets are committed), then the producer. Safe twice. */
  stop(): Promise<void>;
  /** Throws when the bus cannot accept events (used by `/readyz`). */
  ping(): Promise<void>;
  /**
   * Publishes events to `topic` and resolves once they are durable: written and fsynced
   * (embedded), or acknowledged by all in-sync replicas (Kafka, idempotent producer). Events are
   * validated first (envelope, and the topic's contract when `schema/events` has one); one
   * invalid event rejects the whole call before anything is published.
   */
  publish(topic: string, events: readonly EventToPublish[], options?: PublishOptions): Promise<void>;
  /** Joins `groupId` and starts handling; resolves once the member has joined. Needs `start()`. */
  subscribe(options: SubscribeOptions): Promise<Subscription>;
}

/** The broker cannot be reached (Kafka down, wrong address). Retrying later may succeed. */
export class EventBusUnavailableError extends DependencyUnavailableError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'EventBusUnavailableError';
  }
}

/** The bus is not running (not started yet, or stopped). */
export class EventBusStateError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'EventBusStateError';
  }
}
