import { validateEvent } from '@chatgraph/schema';
import { createLogger, type Logger } from '../logger';
import type { Collection } from '../store/port';
import { backoffDelay } from './delivery';
import { checkTopic } from './names';
import { PENDING_OUTBOX, type OutboxDocument, type OutboxEvent } from './outbox';
import type { BackoffOptions, EventBus } from './port';

export interface OutboxRelayOptions {
  bus: EventBus;
  /** Collections whose documents carry an outbox (`addOutbox` + `OUTBOX_INDEX`). */
  collections: ReadonlyArray<Collection<OutboxDocument>>;
  logger?: Logger;
  /** Scan interval when nobody calls `notify()` (default 1 s): picks up writes of other processes. */
  pollIntervalMs?: number;
  /**
   * Time from the end of one scan to the next while hinted notifications keep the relay busy
   * (default 10 x `pollIntervalMs`; longer after a slow scan, see `SCAN_COST_FACTOR`): a scan
   * still picks up what other processes (or a crashed one) left.
   */
  scanIntervalMs?: number;
  /** Documents read per collection per pass (default 100). */
  batchSize?: number;
  /** Wait between passes while publishing fails (default 200 ms doubling up to 10 s). */
  backoff?: Partial<BackoffOptions>;
  /** The clock scans are timed with (tests); default `Date.now`. */
  now?: () => number;
}

/**
 * A scan nothing asked for (the periodic one while hints keep the relay busy, the one of an idle
 * poll) waits at least this many times as long as the last scan took, from its end. On FerretDB a
 * scan reads and decodes every document: at 5,000 messages on a loaded machine it took longer than
 * the 10 s interval, so the relay scanned back to back and the server had little left for the
 * writes whose events it was there to publish (conversation applied one answer per second). A
 * scan asked for (start, an unhinted notification, a failure, a full batch, `drain()`) runs at once.
 */
const SCAN_COST_FACTOR = 10;

/**
 * Which document just got outbox entries: `notify(hint)` lets the relay fetch it by key instead of
 * scanning the collection (on FerretDB a scan reads and decodes every document; a key lookup does not).
 */
export interface OutboxHint {
  /** The collection's name (`Collection.name`). */
  collection: string;
  /** The document's `_id`. */
  id: string;
}

interface Pending {
  doc: OutboxDocument;
  entry: OutboxEvent;
}

interface Parked extends Pending {
  error: string;
}

/** Why an entry can never be published (its topic, key or event is invalid), or undefined. */
function unpublishable(entry: OutboxEvent): string | undefined {
  try {
    checkTopic(entry.topic);
    if (typeof entry.key !== 'string' || entry.key.length === 0) return 'the entry has no key';
    validateEvent(entry.topic, entry.event);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Publishes outbox entries and removes them from their documents. A pass reads documents with
 * pending entries (by key when every notification since the last pass named its document, else
 * by scanning each collection), publishes them per topic in document order (so each key's events keep their
 * order), then `$pull`s exactly the published ids. A crash between publish and pull publishes
 * those events again: delivery is at-least-once and consumers deduplicate on the event id. Several
 * relays (replicas) may run at once with the same outcome. While the bus is down, passes fail
 * and are retried with backoff; every pending event goes out once it is back.
 */
export class OutboxRelay {
  private readonly logger: Logger;
  private readonly pollIntervalMs: number;
  private readonly scanIntervalMs: number;
  private readonly batchSize: number;
  private readonly backoff: BackoffOptions;
  /** Documents named by `notify(hint)` since the last pass, per collection, in notification order. */
  private hints = new Map<string, Set<string>>();
  /** The next pass scans every collection: at start, after an unhinted notify, a failure or a full batch. */
  private scanDue = true;
  /** A poll found the relay idle: scan once the last scan's cost allows (`SCAN_COST_FACTOR`). */
  private idleScanDue = false;
  private lastScanEndedAt = 0;
  private lastScanMs = 0;
  private readonly now: () => number;
  private loop: Promise<void> | undefined;
  private stopped = false;
  private wake: (() => void) | undefined;
  private woken = false;
  /** Passes run one at a time, whether from the loop or from `drain()`. */
  private passes: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: OutboxRelayOptions) {
    this.logger = options.logger ?? createLogger({ name: 'outbox-relay', level: 'silent' });
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.scanIntervalMs = options.scanIntervalMs ?? 10 * this.pollIntervalMs;
    this.batchSize = options.batchSize ?? 100;
    this.backoff = { initialMs: 200, maxMs: 10_000, multiplier: 2, ...options.backoff };
    this.now = options.now ?? Date.now;
  }

  /** Starts the background loop (idempotent). */
  start(): void {
    if (this.stopped) throw new Error('the outbox relay was stopped; create a new one');
    this.loop ??= this.run();
  }

  /**
   * Asks for a pass now, e.g. right after a local write with events. With a `hint` naming the
   * written document the pass looks it up by key; without one the pass scans every collection.
   */
  notify(hint?: OutboxHint): void {
    if (hint) {
      const ids = this.hints.get(hint.collection) ?? new Set<string>();
      this.hints.set(hint.collection, ids.add(hint.id));
    } else {
      this.scanDue = true;
    }
    this.woken = true;
    this.wake?.();
  }

  /** Lets the pass in progress finish, then stops. Safe twice. Pending events stay in their documents. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wake?.();
    await this.loop;
  }

  /** Publishes everything pending now; rejects if publishing fails (the entries stay pending). */
  async drain(): Promise<void> {
    while ((await this.pass(true)) > 0);
  }

  private async run(): Promise<void> {
    let failures = 0;
    while (!this.stopped) {
      let published = 0;
      try {
        published = await this.pass();
        failures = 0;
      } catch (error) {
        failures++;
        this.logger.warn({ err: error, failures }, 'outbox relay could not publish; retrying');
      }
      if (this.stopped) break;
      if (failures > 0) await this.sleep(backoffDelay(this.backoff, failures), false);
      // An idle poll that nobody cut short scans: it is how other processes' writes are found.
      else if (published === 0 && !(await this.sleep(this.pollIntervalMs, true))) this.idleScanDue = true;
    }
  }

  /**
   * Waits `ms`, or less when stopped (or, if `wakeable`, when notified since the last pass
   * started). Resolves true when cut short, false when the full time passed.
   */
  private sleep(ms: number, wakeable: boolean): Promise<boolean> {
    if (this.stopped || (wakeable && this.woken)) {
      this.woken = false;
      return Promise.resolve(true);
    }
    return new Promise<boolean>((resolve) => {
      const finish = (woken: boolean): void => {
        clearTimeout(timer);
        this.wake = undefined;
        if (wakeable) this.woken = false;
        resolve(woken);
      };
      const timer = setTimeout(() => finish(false), ms);
      this.wake = () => {
        if (this.stopped || wakeable) finish(true);
      };
    });
  }

  /** One pass over every collection (a scan if `scan`, or one is due); returns how many events it published. */
  private pass(scan = false): Promise<number> {
    // Collections are passed over concurrently: one collection's round trips never delay another's
    // events (each collection keeps its own order; a topic written from two collections has no
    // order between them, as Kafka gives none across producers either).
    const run = this.passes.then(async () => {
      const scanning = scan || this.scanDue || this.unaskedScanDue();
      const hints = this.hints;
      this.hints = new Map();
      const startedAt = this.now();
      if (scanning) {
        this.scanDue = false;
        this.idleScanDue = false;
      }
      try {
        const counts = await Promise.all(
          this.options.collections.map((collection) => this.passOver(collection, scanning, hints.get(collection.name))),
        );
        if (scanning) {
          this.lastScanEndedAt = this.now();
          this.lastScanMs = this.lastScanEndedAt - startedAt;
        }
        return counts.reduce((sum, n) => sum + n, 0);
      } catch (error) {
        // What this pass did not settle is found by the next pass's scan, in the collection's order.
        this.scanDue = true;
        throw error;
      }
    });
    this.passes = run.catch(() => undefined);
    return run;
  }

  /** True when a scan nobody asked for is due: its interval has passed, and the last scan's cost allows one. */
  private unaskedScanDue(): boolean {
    const since = this.now() - this.lastScanEndedAt;
    const wanted = this.idleScanDue || since >= this.scanIntervalMs;
    return wanted && since >= SCAN_COST_FACTOR * this.lastScanMs;
  }

  /**
   * The documents with pending entries a pass handles: a scan's batch, or the hinted documents
   * looked up one key at a time (`findByIds` would be an `$in`, which FerretDB answers by a scan).
   */
  private async pendingDocs(
    collection: Collection<OutboxDocument>,
    scanning: boolean,
    hinted: ReadonlySet<string> | undefined,
  ): Promise<OutboxDocument[]> {
    if (scanning) {
      const docs = await collection.find(PENDING_OUTBOX, { limit: this.batchSize });
      // A full batch may leave more behind: scan again next pass. Hinted documents are in the
      // scan's range, so the scans reach them too.
      if (docs.length >= this.batchSize) this.scanDue = true;
      return docs;
    }
    if (!hinted || hinted.size === 0) return [];
    const docs = await Promise.all([...hinted].map((id) => collection.findById(id)));
    return docs.filter((doc): doc is OutboxDocument => doc !== null && (doc._outbox?.length ?? 0) > 0);
  }

  private async passOver(
    collection: Collection<OutboxDocument>,
    scanning: boolean,
    hinted: ReadonlySet<string> | undefined,
  ): Promise<number> {
    const docs = await this.pendingDocs(collection, scanning, hinted);
    const byTopic = new Map<string, Pending[]>();
    const parked: Parked[] = [];
    for (const doc of docs) {
      for (const entry of doc._outbox ?? []) {
        // No retry can make an event valid: park it rather than block every later pass.
        const problem = unpublishable(entry);
        if (problem) parked.push({ doc, entry, error: problem });
        else if (byTopic.has(entry.topic)) byTopic.get(entry.topic)?.push({ doc, entry });
        else byTopic.set(entry.topic, [{ doc, entry }]);
      }
    }
    // Topics go out at once: each keeps its own order (one publish per topic, in document order),
    // and no topic waits for another's round trip — a generation request is not queued behind the
    // message events written with it. What failed stays pending for the next pass.
    const published: Pending[] = [];
    let failure: unknown;
    const outcomes = await Promise.allSettled(
      [...byTopic].map(async ([topic, items]) => {
        await this.options.bus.publish(
          topic,
          items.map(({ entry }) => ({ key: entry.key, event: entry.event, headers: entry.headers })),
        );
        return items;
      }),
    );
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') published.push(...outcome.value);
      else failure ??= outcome.reason;
    }
    await this.settle(collection, published, parked);
    if (failure !== undefined) throw failure;
    return published.length;
  }

  /** Pulls what was published (and parks what never can be), then removes finished tombstones. */
  private async settle(collection: Collection<OutboxDocument>, published: Pending[], parked: Parked[]): Promise<void> {
    const perDoc = new Map<string, { doc: OutboxDocument; done: Pending[]; bad: Parked[] }>();
    const slot = (doc: OutboxDocument) => perDoc.get(doc._id) ?? perDoc.set(doc._id, { doc, done: [], bad: [] }).get(doc._id);
    for (const item of published) slot(item.doc)?.done.push(item);
    for (const item of parked) slot(item.doc)?.bad.push(item);
    // Documents are settled concurrently (one store round trip for the batch, not one per document).
    await Promise.all(
      [...perDoc.values()].map(async ({ doc, done, bad }) => {
        // Entries are pulled by event id. Should one event be queued for two topics, it is pulled only
        // once both are out: the other way an unpublished entry could be dropped.
        const settled = new Set([...done, ...bad].map(({ entry }) => entry));
        const waiting = new Set((doc._outbox ?? []).filter((entry) => !settled.has(entry)).map((entry) => entry.event.id));
        const ids = [...new Set([...settled].map((entry) => entry.event.id))].filter((id) => !waiting.has(id));
        const park = bad.length > 0 ? { $push: { _outboxParked: { $each: bad.map(({ entry, error }) => ({ ...entry, error })) } } } : {};
        await collection.updateOne({ _id: doc._id }, { ...park, $pull: { _outbox: { 'event.id': { $in: ids } } } });
        for (const item of bad)
          this.logger.error(
            { collection: collection.name, docId: doc._id, eventId: item.entry.event.id, err: item.error },
            'outbox event parked: it fails its contract',
          );
        // Only if nothing was queued since the read: the filter checks the outbox is empty now.
        if (doc._deleted) await collection.deleteOne({ _id: doc._id, _deleted: true, ...NOTHING_PENDING });
      }),
    );
  }
}

/** Matches documents whose outbox is empty (nothing was added since the relay read them). */
const NOTHING_PENDING = { '_outbox.event.id': { $exists: false } };
