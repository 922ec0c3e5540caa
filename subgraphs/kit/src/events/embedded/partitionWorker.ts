import type { Logger } from '../../logger';
import { abortableSleep, deliverRecord, type ConsumedRecord, type DeliveryContext } from '../delivery';
import type { EventHeaders } from '../port';
import type { GroupOffsets } from './groupOffsets';
import type { LogRecord, TopicLog } from './topicLog';

/** What a worker needs from its group member and from the bus. */
export interface WorkerContext {
  delivery: Omit<DeliveryContext, 'sleep' | 'deadLetter'>;
  offsets: GroupOffsets;
  deadLetter(record: ConsumedRecord, headers: EventHeaders): Promise<void>;
  logger: Logger;
  /** Records of the partition read and not yet committed at most (`SubscribeOptions.maxInFlightPerPartition`). */
  maxInFlight: number;
}

/** Pause after an unexpected failure (e.g. the dead-letter topic cannot be written) before trying the record again. */
const FAILURE_PAUSE_MS = 1000;

/** Records read from the database at a time: bounded memory, few queries. */
const READ_BATCH = 64;

/** A record handed out and not committed yet. */
interface Slot {
  offset: number;
  finished: boolean;
}

/**
 * Consumes one partition for one group member. Each key's records are handled one at a time in
 * offset order (a record waits for the one before it with its key), which is the order the bus
 * promises; records of different keys run side by side, up to `maxInFlight` records past the
 * committed offset (1: strictly one record after another). Side by side matters when a handler
 * waits for a durable write: one record at a time runs at one commit per record, while a group
 * commit can take many.
 *
 * The committed offset only moves past records that finished, in offset order, so a crash
 * redelivers at most `maxInFlight` records. `stop()` lets the records being handled finish but
 * starts none, and cuts a retry backoff short, leaving that record (and its key's later ones,
 * never started) to be delivered again.
 */
export class PartitionWorker {
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;
  /** Records handed out and not committed, in offset order. */
  private readonly window: Slot[] = [];
  /** The last record handed out per key: the next one of that key starts after it. */
  private readonly keyTails = new Map<string, Promise<void>>();
  private readonly running = new Set<Promise<void>>();
  /** Wakes the reader waiting for room in the window. */
  private roomMade: (() => void) | undefined;

  constructor(
    private readonly log: TopicLog,
    private readonly partition: number,
    private readonly ctx: WorkerContext,
  ) {
    this.done = this.run();
  }

  private async run(): Promise<void> {
    const { signal } = this.abort;
    const { topic } = this.log;
    const context: DeliveryContext = { ...this.ctx.delivery, sleep: (ms) => abortableSleep(signal, ms), deadLetter: this.ctx.deadLetter };
    const limit = Math.max(1, this.ctx.maxInFlight);
    let next = this.ctx.offsets.get(topic, this.partition);
    let batch: LogRecord[] = [];
    while (!signal.aborted) {
      if (this.window.length >= limit) {
        await this.room(signal);
        continue;
      }
      if (batch.length === 0) {
        try {
          batch = this.log.read(this.partition, next, READ_BATCH);
        } catch (error) {
          // A damaged record found while running: say so and try again later (the check repairs it).
          this.ctx.logger.error({ topic, partition: this.partition, offset: next, err: error }, 'cannot read the event log; retrying');
          await abortableSleep(signal, FAILURE_PAUSE_MS);
          continue;
        }
      }
      const record = batch.shift();
      if (!record) {
        // Nothing left below the log end (records lost to a repair leave gaps): wait past it.
        next = Math.max(next, this.log.endOffset(this.partition));
        await this.log.waitFor(this.partition, next, signal);
        continue;
      }
      next = record.offset + 1;
      this.start(record, context);
    }
    while (this.running.size > 0) await Promise.all(this.running);
  }

  /** Hands `record` out: it runs once the previous record of its key is done. */
  private start(record: LogRecord, context: DeliveryContext): void {
    const slot: Slot = { offset: record.offset, finished: false };
    this.window.push(slot);
    const previous = this.keyTails.get(record.key);
    const task = (async () => {
      await previous;
      if (await this.handle(record, context)) {
        slot.finished = true;
        this.commitFinished();
      }
    })();
    this.keyTails.set(record.key, task);
    this.running.add(task);
    void task.finally(() => {
      this.running.delete(task);
      if (this.keyTails.get(record.key) === task) this.keyTails.delete(record.key);
    });
  }

  /** Delivers one record until it is handled or dead-lettered (true), or the worker stops first (false). Never throws. */
  private async handle(record: LogRecord, context: DeliveryContext): Promise<boolean> {
    const { signal } = this.abort;
    const { topic } = this.log;
    const consumed: ConsumedRecord = {
      topic,
      partition: this.partition,
      offset: String(record.offset),
      key: record.key,
      value: record.value,
      headers: { ...record.headers },
    };
    // Stopping: nothing new starts, so a key whose record was left unhandled has no later record handled either.
    while (!signal.aborted) {
      try {
        return (await deliverRecord(consumed, context)) !== 'aborted';
      } catch (error) {
        this.ctx.logger.error(
          { topic, partition: this.partition, offset: record.offset, err: error },
          'event delivery failed; retrying the record',
        );
        await abortableSleep(signal, FAILURE_PAUSE_MS);
      }
    }
    return false;
  }

  /** Commits past every finished record at the front of the window, and makes room for the reader. */
  private commitFinished(): void {
    let committed: number | undefined;
    while (this.window[0]?.finished) committed = (this.window.shift()?.offset ?? 0) + 1;
    if (committed === undefined) return;
    this.ctx.offsets.commit(this.log.topic, this.partition, committed);
    this.roomMade?.();
  }

  /** Resolves once the window has room again, or the worker stops. */
  private room(signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        signal.removeEventListener('abort', wake);
        this.roomMade = undefined;
        resolve();
      };
      this.roomMade = wake;
      signal.addEventListener('abort', wake, { once: true });
    });
  }

  stop(): Promise<void> {
    this.abort.abort();
    return this.done;
  }
}
