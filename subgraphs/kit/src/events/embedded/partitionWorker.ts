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
}

/** Pause after an unexpected failure (e.g. the dead-letter topic cannot be written) before trying the record again. */
const FAILURE_PAUSE_MS = 1000;

/** Records read from the database at a time: bounded memory, few queries. */
const READ_BATCH = 64;

/**
 * Consumes one partition for one group member, one record at a time, which is what keeps each
 * key's events in order. `stop()` lets the record being handled finish (and commits it) but
 * cuts a retry backoff short, leaving that record to be delivered again.
 */
export class PartitionWorker {
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

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
    let next = this.ctx.offsets.get(topic, this.partition);
    let batch: LogRecord[] = [];
    while (!signal.aborted) {
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
      const record = batch[0];
      if (!record) {
        // Nothing left below the log end (records lost to a repair leave gaps): wait past it.
        next = Math.max(next, this.log.endOffset(this.partition));
        await this.log.waitFor(this.partition, next, signal);
        continue;
      }
      const consumed: ConsumedRecord = { topic, partition: this.partition, offset: String(record.offset), key: record.key, value: record.value, headers: { ...record.headers } };
      try {
        if ((await deliverRecord(consumed, context)) === 'aborted') break;
      } catch (error) {
        this.ctx.logger.error({ topic, partition: this.partition, offset: record.offset, err: error }, 'event delivery failed; retrying the record');
        await abortableSleep(signal, FAILURE_PAUSE_MS);
        continue;
      }
      batch.shift();
      next = record.offset + 1;
      this.ctx.offsets.commit(topic, this.partition, next);
    }
  }

  stop(): Promise<void> {
    this.abort.abort();
    return this.done;
  }
}
