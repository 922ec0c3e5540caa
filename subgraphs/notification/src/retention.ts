import type { Logger } from '@chatgraph/kit';
import type { NotificationCollections } from './store';

/** How often each instance deletes expired notifications (every instance may: deleting is idempotent). */
export const DEFAULT_RETENTION_SWEEP_MS = 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

export interface RetentionOptions {
  /** NOTIFICATION_RETENTION_DAYS. */
  retentionDays: number;
  now: () => Date;
  logger: Logger;
  /** Sweep interval (default hourly). */
  sweepMs?: number;
}

/** Deletes notifications older than the retention, read or not, on a timer that never keeps the process alive. */
export class Retention {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly collections: NotificationCollections,
    private readonly options: RetentionOptions,
  ) {}

  /** Deletes what expired now; resolves how many. A sweep already running is joined, not doubled. */
  sweep(): Promise<number> {
    this.running ??= (async () => {
      try {
        const cutoff = new Date(this.options.now().getTime() - this.options.retentionDays * DAY_MS);
        const deleted = await this.collections.notifications.deleteMany({ createdAt: { $lt: cutoff } });
        // The markers of mails sent go with them: an event that old is never redelivered.
        await this.collections.mailsSent.deleteMany({ sentAt: { $lt: cutoff } });
        if (deleted > 0) this.options.logger.info({ deleted, cutoff }, 'expired notifications deleted');
        return deleted;
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  /** Sweeps now, then every `sweepMs`. */
  start(): void {
    if (this.timer) return;
    const run = (): void => {
      this.sweep().catch((error: unknown) => this.options.logger.warn({ err: error }, 'notification retention sweep failed'));
    };
    run();
    this.timer = setInterval(run, this.options.sweepMs ?? DEFAULT_RETENTION_SWEEP_MS);
    this.timer.unref();
  }

  /** Stops the timer and waits for a sweep in progress. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => undefined);
  }
}
