import { DocumentStoreUnavailableError } from './unavailable';

/**
 * The lifecycle and collection registry both document-store adapters share: `new` → `starting`
 * → `running` → `stopped` (never back), `start()`/`stop()` memoised so calling either twice is
 * safe, collections prepared at start (or at registration once running), and operations refused
 * unless running and counted so that `stop()` drains them before the adapter closes anything.
 *
 * A collection that cannot be prepared (unreadable file, index that cannot be built) is not a
 * bad request: its operations, and operations while the store is not running, fail with
 * `DocumentStoreUnavailableError` (UNAVAILABLE to clients, retried by event consumers, never
 * dead-lettered), and `collectionsReady()` rejects with the failure naming the collection, so a
 * service's start (which awaits it through `ping()`) refuses instead of serving half a store.
 */

/** A collection's preparation failed: names the collection and keeps the adapter's error as `cause`. */
export class CollectionUnavailableError extends DocumentStoreUnavailableError {
  constructor(
    label: string,
    readonly collection: string,
    cause: unknown,
  ) {
    super(`${label} cannot open collection ${collection}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'CollectionUnavailableError';
  }
}

/** A registered collection; `ready` is set when its preparation (load, indexes) begins. */
export interface RegisteredCollection<C> {
  readonly name: string;
  ready?: Promise<C>;
}

/** What the adapter does at each step; the lifecycle decides when. */
export interface StoreLifecycleHooks<E extends RegisteredCollection<C>, C> {
  /** Starts refusal messages, e.g. `embedded store` ("embedded store is stopped"). */
  label: string;
  /** Opens what every collection needs (directory lock, connection). */
  open(): Promise<void>;
  /**
   * Prepares one collection; should log a failure itself. A failure surfaces as
   * `CollectionUnavailableError` from the collection's operations and from `collectionsReady()`.
   */
  prepare(entry: E): Promise<C>;
  /** Cleans up after a failed start; resolves to the error `start()` rejects with. */
  startFailed(error: unknown): Promise<unknown>;
  /** Releases everything once stopped and drained; `wasRunning` is false when start never completed. */
  close(wasRunning: boolean): Promise<void>;
  /** Maps an operation's failure (default: unchanged). */
  operationError?(error: unknown, collection: string): unknown;
}

type Phase = 'new' | 'starting' | 'running' | 'stopped';

export class StoreLifecycle<E extends RegisteredCollection<C>, C> {
  private phase: Phase = 'new';
  private readonly registered = new Map<string, E>();
  private starting: Promise<void> | undefined;
  private stopping: Promise<void> | undefined;
  private inFlight = 0;
  private idle: Array<() => void> = [];

  constructor(private readonly hooks: StoreLifecycleHooks<E, C>) {}

  /** The collections registered so far, in registration order. */
  entries(): IterableIterator<E> {
    return this.registered.values();
  }

  /** The entry of `name`, created by `create` on first use (and prepared at once when running). */
  register(name: string, create: () => E): E {
    let entry = this.registered.get(name);
    if (!entry) {
      entry = create();
      this.registered.set(name, entry);
      if (this.phase === 'running') this.prepare(entry);
    }
    return entry;
  }

  private prepare(entry: E): Promise<C> {
    const ready = this.hooks.prepare(entry).catch((error: unknown) => {
      throw new CollectionUnavailableError(this.hooks.label, entry.name, error);
    });
    // Observed here so a failure nobody awaits yet is not an unhandled rejection; awaiting it still throws.
    ready.catch(() => undefined);
    entry.ready = ready;
    return ready;
  }

  /**
   * Resolves once every collection registered so far is prepared (waiting for those still being
   * prepared, e.g. registered after start); rejects unless running, or with the first
   * `CollectionUnavailableError`. `ping()` awaits it so readiness, and a service's start, reflect
   * every collection and not only the connection.
   */
  async collectionsReady(): Promise<void> {
    this.assertRunning();
    for (const entry of this.registered.values()) await entry.ready;
  }

  start(): Promise<void> {
    if (this.phase === 'stopped') return Promise.reject(new Error(`the ${this.hooks.label} was stopped; create a new one to start again`));
    this.starting ??= this.startOnce();
    return this.starting;
  }

  private async startOnce(): Promise<void> {
    this.phase = 'starting';
    try {
      await this.hooks.open();
      const settled = await Promise.allSettled([...this.registered.values()].map((entry) => this.prepare(entry)));
      const failure = settled.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
      this.phase = 'running';
      // Collections registered while starting are prepared like those registered after start.
      for (const entry of this.registered.values()) if (!entry.ready) this.prepare(entry);
    } catch (error) {
      this.phase = 'stopped';
      throw await this.hooks.startFailed(error);
    }
  }

  /** Throws unless running: `<label> is stopped` or `<label> is not started`. */
  assertRunning(): void {
    if (this.phase !== 'running') throw this.refusal('');
  }

  private refusal(suffix: string): Error {
    // Unavailable, not invalid: the same operation succeeds once a store is running (consumers retry it).
    return new DocumentStoreUnavailableError(`${this.hooks.label} is ${this.phase === 'stopped' ? 'stopped' : 'not started'}${suffix}`);
  }

  /** Runs one collection operation, refusing it unless the store is running, and counting it for `stop()`. */
  async use<R>(entry: E, operation: (ctx: C) => Promise<R> | R): Promise<R> {
    const ready = entry.ready;
    if (this.phase !== 'running' || !ready) throw this.refusal(`: cannot use collection ${entry.name}`);
    this.inFlight++;
    try {
      return await operation(await ready);
    } catch (error) {
      throw this.hooks.operationError ? this.hooks.operationError(error, entry.name) : error;
    } finally {
      this.inFlight--;
      if (this.inFlight === 0) for (const resolve of this.idle.splice(0)) resolve();
    }
  }

  stop(): Promise<void> {
    this.stopping ??= this.stopOnce();
    return this.stopping;
  }

  private async stopOnce(): Promise<void> {
    if (this.starting) await this.starting.catch(() => undefined);
    const wasRunning = this.phase === 'running';
    this.phase = 'stopped';
    // Operations already running finish (and become durable, or fail) before anything closes under them.
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.hooks.close(wasRunning);
  }
}
