import { Schema } from 'mongoose';
import { DuplicateKeyError, type Collection, type CollectionSpec, type StoredDocument } from '@chatgraph/kit/store';
import { sha256Hex } from './tokens';

/**
 * One limited subject (an address for one kind of mail, a mail domain, all sign-ups), stored so
 * a limit holds across restarts and across replicas. `_id` is `<scope>:<sha256 of the key>`:
 * addresses are not kept in clear in a second place.
 */
export interface FlowLimitDoc extends StoredDocument {
  /** When the last allowed event happened (the cool-down counts from here). */
  lastAt: Date;
  /** Start of the current counting window. */
  windowStartedAt: Date;
  /** Allowed events in the current window. */
  count: number;
  /** When this record stops mattering (cool-down and window both over); pruned after that. */
  expiresAt: Date;
}

const flowLimitSchema = new Schema<FlowLimitDoc>(
  {
    _id: { type: String },
    lastAt: { type: Date, required: true },
    windowStartedAt: { type: Date, required: true },
    count: { type: Number, required: true, min: 0 },
    expiresAt: { type: Date, required: true },
  },
  { versionKey: false },
);

export const flowLimitsSpec: CollectionSpec<FlowLimitDoc> = {
  name: 'flow_limits',
  schema: flowLimitSchema,
  indexes: [{ fields: { expiresAt: 1 } }],
};

/** At most `limit` events per `windowMs` (a fixed window from the first one), at least `cooldownMs` apart. */
export interface FlowPolicy {
  limit: number;
  windowMs: number;
  cooldownMs: number;
}

export type FlowDecision = { allowed: true } | { allowed: false; retryAfterMs: number };

/**
 * Failed sign-ins per account before the account's password sign-in is locked: 10 within an
 * hour lock it until the hour is over, or until the owner completes an e-mailed password reset
 * (which clears the count). Counted for unknown addresses too, so the lock reveals nothing. The
 * router's per-account limit (7 per 5 minutes) slows guessing first; this bounds it per hour.
 */
export const LOGIN_LOCK_POLICY: FlowPolicy = { limit: 10, windowMs: 3_600_000, cooldownMs: 0 };

/**
 * Limits on account flows (mails per address, sign-ups per domain and overall), kept in the
 * document store. Each decision is made by conditional single-document writes, so two replicas
 * deciding at once cannot both take the last slot.
 */
export class FlowLimiter {
  constructor(
    private readonly limits: Collection<FlowLimitDoc>,
    private readonly now: () => Date,
  ) {}

  /** Takes one slot of `scope`/`key` under `policy`, or says how long until one frees up. */
  async acquire(scope: string, key: string, policy: FlowPolicy): Promise<FlowDecision> {
    // A limit that is off costs no store round trip.
    if (policy.limit >= Number.MAX_SAFE_INTEGER && policy.cooldownMs === 0) return { allowed: true };
    const _id = `${scope}:${sha256Hex(key)}`;
    const now = this.now();
    const at = now.getTime();
    const cooledDown = new Date(at - policy.cooldownMs);
    const windowOpenedAfter = new Date(at - policy.windowMs);
    const expiresAt = new Date(at + Math.max(policy.cooldownMs, policy.windowMs));
    // The current window has room and the cool-down is over: count one more.
    // Without a cool-down, no condition on `lastAt`: a simultaneous request may have stamped it a
    // moment after this one's `now`, which must not refuse this one.
    const cooled = policy.cooldownMs > 0 ? { lastAt: { $lte: cooledDown } } : {};
    const take = async (): Promise<boolean> => {
      const counted = await this.limits.findOneAndUpdate(
        { _id, ...cooled, windowStartedAt: { $gt: windowOpenedAfter }, count: { $lt: policy.limit } },
        { $set: { lastAt: now, expiresAt }, $inc: { count: 1 } },
      );
      if (counted) return true;
      // The window is over (and so is the cool-down): start a new one with this event.
      const restarted = await this.limits.findOneAndUpdate(
        { _id, ...cooled, windowStartedAt: { $lte: windowOpenedAfter } },
        { $set: { lastAt: now, windowStartedAt: now, count: 1, expiresAt } },
      );
      return restarted !== null;
    };
    if (await take()) return { allowed: true };
    // No record yet: the first event.
    try {
      await this.limits.insertOne({ _id, lastAt: now, windowStartedAt: now, count: 1, expiresAt });
      return { allowed: true };
    } catch (err) {
      if (!(err instanceof DuplicateKeyError)) throw err;
    }
    // A simultaneous first event created the record meanwhile: this one counts against it like
    // any later one (refusing it outright refused three simultaneous first sign-ups at a domain
    // with no limit set; a cool-down still refuses it).
    if (await take()) return { allowed: true };
    const current = await this.limits.findById(_id);
    if (!current) return { allowed: false, retryAfterMs: policy.cooldownMs };
    const coolDownEnds = current.lastAt.getTime() + policy.cooldownMs;
    const windowEnds = current.count >= policy.limit ? current.windowStartedAt.getTime() + policy.windowMs : 0;
    return { allowed: false, retryAfterMs: Math.max(0, Math.max(coolDownEnds, windowEnds) - at) };
  }

  /** Whether `scope`/`key` used its whole window under `policy` (without taking a slot): how long until it frees up. */
  async check(scope: string, key: string, policy: FlowPolicy): Promise<FlowDecision> {
    const current = await this.limits.findById(`${scope}:${sha256Hex(key)}`);
    const at = this.now().getTime();
    if (!current || current.count < policy.limit) return { allowed: true };
    const windowEnds = current.windowStartedAt.getTime() + policy.windowMs;
    return windowEnds > at ? { allowed: false, retryAfterMs: windowEnds - at } : { allowed: true };
  }

  /** Forgets `scope`/`key` (e.g. an account's failed sign-ins once its owner proved the mailbox). */
  async clear(scope: string, key: string): Promise<void> {
    await this.limits.deleteMany({ _id: `${scope}:${sha256Hex(key)}` });
  }

  /** Deletes records whose cool-down and window are both over. */
  async prune(): Promise<number> {
    return this.limits.deleteMany({ expiresAt: { $lt: this.now() } });
  }
}
