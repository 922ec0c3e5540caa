import type { Logger } from '@chatgraph/kit';
import type { KvStore } from '@chatgraph/kit/kv';

/** Why a byte request is refused before anything is read or spent: which limit, and when to try again. */
export interface LimitRefusal {
  limit: 'uploadsPerUser' | 'downloadsPerMinute';
  max: number;
  retryAfterMs: number;
  message: string;
}

export interface ByteLimitsOptions {
  kv: KvStore;
  logger: Logger;
  /** Uploads one user may be sending at once to this instance. */
  concurrentUploads: number;
  /** Downloads (GET or HEAD on a link) per minute of one budget: a user's, or a share's. */
  downloadsPerMinute: number;
}

const MINUTE = 60_000;
/** How soon a refused upload may try again: uploads end in seconds to minutes, there is no exact time. */
const UPLOAD_RETRY_MS = 5_000;
const KV_ERROR_LOG_INTERVAL_MS = 10_000;

/**
 * Per-user limits of the byte routes, which the router cannot apply (it sees a ticket or a link,
 * not a user; file learns whose file it is): uploads sent at once per user (counted in this
 * instance, like the router's per-router socket caps: with N instances a user may send N times as
 * many), and downloads per minute per budget with the kit kv's GCRA, the algorithm and keys
 * (`limits:budget:<policy>:<subject>`) of the router's rate limits, so every instance spends one
 * budget. A kv failure lets the download through (fail open, as the router's default policies),
 * logged at most every 10 s.
 */
export class ByteLimits {
  private readonly uploading = new Map<string, number>();
  private lastKvErrorLog = 0;

  constructor(private readonly options: ByteLimitsOptions) {}

  /** Takes one of `ownerId`'s upload slots; the refusal when all are taken. Give it back with `releaseUpload`. */
  acquireUpload(ownerId: string): LimitRefusal | undefined {
    const max = this.options.concurrentUploads;
    const held = this.uploading.get(ownerId) ?? 0;
    if (held >= max)
      return { limit: 'uploadsPerUser', max, retryAfterMs: UPLOAD_RETRY_MS, message: `At most ${max} uploads may be sent at once` };
    this.uploading.set(ownerId, held + 1);
    return undefined;
  }

  /** Gives back a slot `acquireUpload` took. */
  releaseUpload(ownerId: string): void {
    const left = (this.uploading.get(ownerId) ?? 0) - 1;
    if (left > 0) this.uploading.set(ownerId, left);
    else this.uploading.delete(ownerId);
  }

  /** Spends one download of `budget` (`user:<id>` or `share:<id>`); the refusal when it is spent. */
  async download(budget: string): Promise<LimitRefusal | undefined> {
    const max = this.options.downloadsPerMinute;
    try {
      const result = await this.options.kv.rateLimit(`limits:budget:file-downloads:${budget}`, {
        algorithm: 'gcra',
        limit: max,
        windowMs: MINUTE,
      });
      if (result.allowed) return undefined;
      return { limit: 'downloadsPerMinute', max, retryAfterMs: result.retryAfterMs, message: `At most ${max} downloads a minute` };
    } catch (error) {
      const now = Date.now();
      if (now - this.lastKvErrorLog >= KV_ERROR_LOG_INTERVAL_MS) {
        this.lastKvErrorLog = now;
        this.options.logger.error({ err: error }, 'download limit unavailable (kv): downloads are let through unlimited');
      }
      return undefined;
    }
  }
}
