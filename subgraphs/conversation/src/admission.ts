import { codedError } from '@chatgraph/kit';
import { KeyedLock, type Collection } from '@chatgraph/kit/store';
import { notDeleted } from '@chatgraph/kit/events';
import type { MessageDoc } from './store';

/**
 * Admission of new generations: what keeps one user from starving everyone and a backlog from
 * growing for hours. A turn (sendMessage, editMessage, regenerateMessage) opens one generation;
 * it is refused before anything is written when
 * - its user already has `maxOpenPerUser` answers PENDING or STREAMING: RATE_LIMITED, `reason`
 *   TOO_MANY_OPEN_GENERATIONS (ai-gateway schedules users round-robin, so this bounds how much
 *   of the bus and of ai-gateway's queue one user can hold), or
 * - more than `maxPending` answers wait for ai-gateway to start them: UNAVAILABLE, `reason`
 *   GENERATION_BACKLOG (ai-gateway is down or behind; new work would only queue for hours).
 *
 * A user's turns are serialised in this process (count, then write, under one per-user lock), so
 * one instance never admits past the cap. Instances do not share the lock: with N instances a
 * user can overshoot by at most N - 1 (each instance admits one turn at a time, and each sees
 * the others' turns once written). The backlog count is shared by every request and refreshed at
 * most every `pendingCountTtlMs`, so it can overshoot by what is admitted within that time.
 *
 * Answers left open longer than `staleAfterMs` (ai-gateway down: nothing starts or fails them)
 * count neither against their user's cap nor in the backlog, so a user is never locked out by
 * answers nobody is working on; their requests stay in the bus and ai-gateway answers them
 * when it is back.
 */

/** Admission limits (conversation's config). */
export interface AdmissionOptions {
  /** Open (PENDING or STREAMING) answers one user may have. */
  maxOpenPerUser: number;
  /** PENDING answers beyond which every new turn is refused. */
  maxPending: number;
  /** An answer open longer than this (since its last update) no longer counts. */
  staleAfterMs: number;
  /** How long one backlog count is reused (default 1 s). */
  pendingCountTtlMs?: number;
}

/** What a refused client is told to wait, in seconds. */
export const RETRY_AFTER_SECONDS = { rateLimited: 2, backlog: 5 } as const;

const OPEN_STATUSES = ['PENDING', 'STREAMING'];

/** Decides, per user and globally, whether a turn may open one more generation (see the module comment). */
export class GenerationAdmission {
  private readonly turns = new KeyedLock();
  private pending: { count: number; at: number } | undefined;
  private counting: Promise<number> | undefined;
  private readonly ttlMs: number;

  constructor(
    private readonly messages: Collection<MessageDoc>,
    private readonly options: AdmissionOptions,
    private readonly now: () => Date,
  ) {
    this.ttlMs = options.pendingCountTtlMs ?? 1000;
  }

  /**
   * Runs `turn` (which reads, checks and writes one turn) if the user may open one more
   * generation, after every earlier turn of the same user in this process has finished.
   */
  async admit<R>(userId: string, turn: () => Promise<R>): Promise<R> {
    await this.checkBacklog();
    return this.turns.run(userId, async () => {
      const open = await this.messages.count({
        ownerId: userId,
        status: { $in: OPEN_STATUSES },
        updatedAt: { $gt: this.staleBefore() },
        ...notDeleted,
      });
      if (open >= this.options.maxOpenPerUser) {
        throw codedError('RATE_LIMITED', `You have ${open} answers being generated; wait for one to finish`, {
          reason: 'TOO_MANY_OPEN_GENERATIONS',
          limit: this.options.maxOpenPerUser,
          retryAfterSeconds: RETRY_AFTER_SECONDS.rateLimited,
        });
      }
      return turn();
    });
  }

  private staleBefore(): Date {
    return new Date(this.now().getTime() - this.options.staleAfterMs);
  }

  private async checkBacklog(): Promise<void> {
    const pending = await this.pendingCount();
    if (pending > this.options.maxPending) {
      throw codedError('UNAVAILABLE', 'Too many answers are waiting to be generated; try again shortly', {
        reason: 'GENERATION_BACKLOG',
        retryAfterSeconds: RETRY_AFTER_SECONDS.backlog,
      });
    }
  }

  /** The backlog, counted at most once per `ttlMs` however many requests ask (concurrent askers share one count). */
  private async pendingCount(): Promise<number> {
    const at = this.now().getTime();
    if (this.pending && at - this.pending.at < this.ttlMs) return this.pending.count;
    this.counting ??= this.messages
      .count({ status: 'PENDING', updatedAt: { $gt: this.staleBefore() }, ...notDeleted })
      .then((count) => {
        this.pending = { count, at };
        return count;
      })
      .finally(() => (this.counting = undefined));
    return this.counting;
  }
}
