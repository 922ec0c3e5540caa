import type { Redis } from 'ioredis';
import type { AdapterLogger } from '../../adapterLogger';
import type { StreamEntry } from '../port';
import { disconnect } from './connection';
import { parseEntries, parseXread } from './replies';

interface Waiter {
  after: number;
  resolve(entries: StreamEntry[]): void;
}

/** One followed stream: the seq the reader reads after, and the followers waiting on it. */
interface Watch {
  cursor: number;
  waiters: Set<Waiter>;
  /** Reads in a row that found it without waiters; pruned after two. */
  idleRounds: number;
}

const BATCH = 256;
/** A safety net only: new watches interrupt the read through the wake stream. */
const BLOCK_MS = 5000;
const WAKE_TTL_MS = 60_000;

/**
 * Every follower of this process waits through ONE `XREAD BLOCK` on a dedicated connection, which
 * covers all watched streams at once (one connection per follower would not scale with open
 * subscriptions). Each stream is read after an explicit seq — never `$` — so an append that lands
 * between a follower's last read and its wait is returned at once rather than missed.
 *
 * A follower that starts watching a new stream must interrupt the pending XREAD, which does not
 * include it yet. It does so by adding to a private "wake" stream that every XREAD also reads:
 * unlike CLIENT UNBLOCK, this cannot race with an XREAD that is sent but not yet blocking.
 */
export class BlockingReader {
  private readonly watches = new Map<string, Watch>();
  private running = false;
  private loop: Promise<void> | undefined;
  /** Keys of the XREAD in flight, if one is. */
  private inFlight: ReadonlySet<string> | undefined;
  private wakeSent = false;
  private wakeCursor = '0-0';
  private idle: (() => void) | undefined;

  constructor(
    private readonly connection: Redis,
    private readonly commands: Redis,
    private readonly wakeKey: string,
    private readonly logger: AdapterLogger,
  ) {}

  start(): void {
    this.running = true;
    this.loop = this.run();
  }

  /** Releases every waiter, closes the connection (ending the XREAD) and waits for the loop to exit. */
  async stop(): Promise<void> {
    this.running = false;
    for (const watch of this.watches.values()) watch.waiters.forEach((waiter) => waiter.resolve([]));
    this.watches.clear();
    this.idle?.();
    disconnect(this.connection);
    await this.loop;
    await this.commands.del(this.wakeKey).catch(() => undefined);
  }

  /** The `waitAfter` of `FollowSource` for one Redis stream key. */
  waitAfter(key: string, after: number, signal: AbortSignal): Promise<StreamEntry[]> {
    if (!this.running || signal.aborted) return Promise.resolve([]);
    let watch = this.watches.get(key);
    // The reader already saw entries past this follower's cursor: read them now.
    if (watch && watch.cursor > after) return Promise.resolve([]);
    if (!watch) {
      watch = { cursor: after, waiters: new Set(), idleRounds: 0 };
      this.watches.set(key, watch);
      this.included(key);
    }
    const current = watch;
    return new Promise((resolve) => {
      const waiter: Waiter = {
        after,
        resolve: (entries) => {
          signal.removeEventListener('abort', abandon);
          current.waiters.delete(waiter);
          resolve(entries);
        },
      };
      const abandon = (): void => {
        waiter.resolve([]);
        if (current.waiters.size === 0 && this.watches.get(key) === current) this.watches.delete(key);
      };
      signal.addEventListener('abort', abandon, { once: true });
      current.waiters.add(waiter);
    });
  }

  /** Makes sure the next XREAD covers `key`: start the idle loop, or interrupt the pending read. */
  private included(key: string): void {
    if (this.idle) {
      this.idle();
      return;
    }
    if (!this.inFlight || this.inFlight.has(key) || this.wakeSent) return;
    this.wakeSent = true;
    this.commands
      .pipeline()
      .xadd(this.wakeKey, 'MAXLEN', '1', '*', 'wake', '1')
      .pexpire(this.wakeKey, WAKE_TTL_MS)
      .exec()
      .catch((error: unknown) => this.logger.warn({ err: String(error) }, 'kv follow wake-up failed; the next read picks the stream up'));
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (this.running) {
      if (this.watches.size === 0) {
        await new Promise<void>((resolve) => (this.idle = resolve));
        this.idle = undefined;
        continue;
      }
      this.prune();
      if (this.watches.size === 0) continue;
      const cursors = new Map([...this.watches].map(([key, watch]) => [key, watch.cursor]));
      this.inFlight = new Set(cursors.keys());
      this.wakeSent = false;
      try {
        const reply = await this.connection.xread(
          'COUNT',
          BATCH,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          ...cursors.keys(),
          this.wakeKey,
          ...[...cursors.values()].map((seq) => `${seq}-0`),
          this.wakeCursor,
        );
        this.inFlight = undefined;
        failures = 0;
        for (const { key, items } of parseXread(reply)) {
          if (key === this.wakeKey) this.wakeCursor = lastId(items) ?? this.wakeCursor;
          else this.deliver(key, cursors.get(key) ?? 0, parseEntries(items));
        }
      } catch (error) {
        this.inFlight = undefined;
        if (!this.running) break;
        failures++;
        this.recover(error, failures);
        await new Promise((resolve) => setTimeout(resolve, Math.min(50 * failures, 1000)));
      }
    }
  }

  /**
   * A refused XREAD from a reachable server means a watched key is not a stream (any more):
   * wake everyone so each follower re-reads, and the one on the bad key gets the type error.
   * Connection failures need nothing: the XREAD is re-sent once the connection is back.
   */
  private recover(error: unknown, failures: number): void {
    if (error instanceof Error && error.name === 'ReplyError') {
      for (const watch of this.watches.values()) watch.waiters.forEach((waiter) => waiter.resolve([]));
      this.watches.clear();
    }
    if (failures === 1)
      this.logger.warn({ err: error instanceof Error ? error.message : String(error) }, 'kv stream reader failed; retrying');
  }

  /** Hands a batch read after `from` to the waiters behind it, as a contiguous run after each one's cursor. */
  private deliver(key: string, from: number, entries: StreamEntry[]): void {
    const watch = this.watches.get(key);
    const last = entries[entries.length - 1];
    if (!watch || !last) return;
    watch.cursor = Math.max(watch.cursor, last.seq);
    for (const waiter of [...watch.waiters]) {
      if (waiter.after >= last.seq) continue;
      waiter.resolve(waiter.after >= from ? entries.filter((entry) => entry.seq > waiter.after) : []);
    }
  }

  /**
   * A watch outlives its waiters for one more read: followers re-register right after consuming a
   * batch, and finding their stream still in the XREAD spares a wake-up per chunk.
   */
  private prune(): void {
    for (const [key, watch] of this.watches) {
      watch.idleRounds = watch.waiters.size === 0 ? watch.idleRounds + 1 : 0;
      if (watch.idleRounds > 1) this.watches.delete(key);
    }
  }
}

function lastId(items: unknown[]): string | undefined {
  const last = items[items.length - 1];
  return Array.isArray(last) && typeof last[0] === 'string' ? last[0] : undefined;
}
