import { Schema } from 'mongoose';
import type { Logger } from '@chatgraph/kit';
import type { Collection, CollectionSpec, DocumentStore, StoredDocument } from '@chatgraph/kit/store';
import type { KvStore } from '@chatgraph/kit/kv';
import { parsePolicy, POLICY_LOG, type LimitPolicy, type PolicyDirectory } from '@chatgraph/kit/limits';

/** One ADMIN override of a rate-limit policy, `_id` = the policy's name. */
export interface PolicyOverrideDoc extends StoredDocument {
  /** The policy as `parsePolicy` returned it, in JSON (read back through `parsePolicy`). */
  policy: string;
  updatedAt: Date;
}

const overrideSchema = new Schema<PolicyOverrideDoc>(
  { _id: { type: String }, policy: { type: String, required: true }, updatedAt: { type: Date, required: true } },
  { versionKey: false },
);

/** The overrides, durable: the kv's copy is what routers read, this one survives the kv. */
export const policyOverridesSpec: CollectionSpec<PolicyOverrideDoc> = { name: 'rate_limit_policies', schema: overrideSchema };

/** Present in the kv while it holds the overrides this subgraph published; gone after the kv lost its data. */
export const POLICIES_MARKER = 'limits:policies:published';

export interface DurablePoliciesOptions {
  store: DocumentStore;
  kv: KvStore;
  /** The ADMIN-side directory on the kv (appends and announces each override). */
  directory: PolicyDirectory;
  logger: Logger;
  /** How often the kv is checked for the marker (one GET). Default 5000. */
  checkMs?: number;
  now?: () => Date;
}

/**
 * Keeps ADMIN policy overrides in the subgraph's document store and the kv in step with it. The
 * kv's log is what every router follows, but a Redis restarted without persistence loses it:
 * every override is written to the store first, then to the kv; at start, and whenever the marker
 * key is missing (the kv lost its data), each stored override the kv's log does not hold as is
 * is published again, and routers pick them up as any change (their directory notices the log
 * was reset). A kv down meanwhile is retried at the next check.
 */
export class DurablePolicies {
  private readonly collection: Collection<PolicyOverrideDoc>;
  private readonly now: () => Date;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> | undefined;

  constructor(private readonly options: DurablePoliciesOptions) {
    this.collection = options.store.collection(policyOverridesSpec);
    this.now = options.now ?? (() => new Date());
  }

  /** Re-publishes what the kv lacks, then checks every `checkMs`. Never throws: a kv down is retried. */
  async start(): Promise<void> {
    await this.check(true);
    this.timer = setInterval(() => void this.check(false), this.options.checkMs ?? 5000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.checking;
  }

  /** Stores an override (before the kv has it, so a kv failure leaves it to be re-published). */
  async save(policy: LimitPolicy): Promise<void> {
    await this.collection.updateOne(
      { _id: policy.name },
      { $set: { policy: JSON.stringify(policy), updatedAt: this.now() } },
      { upsert: true },
    );
  }

  /** Re-publishes the stored overrides when `always` or the marker is gone; one check at a time. */
  check(always: boolean): Promise<void> {
    this.checking ??= this.republish(always)
      .catch((err: unknown) => this.options.logger.warn({ err }, 'rate-limit policy overrides could not be re-published; retrying'))
      .finally(() => {
        this.checking = undefined;
      });
    return this.checking;
  }

  private async republish(always: boolean): Promise<void> {
    const { kv, directory, logger } = this.options;
    if (!always && (await kv.get(POLICIES_MARKER)) !== null) return;
    // What the kv's log holds now, folded by name (read directly: a directory's memory may predate a reset).
    const inKv = new Map<string, string>();
    for (const entry of await kv.read(POLICY_LOG)) if (entry.fields.name) inKv.set(entry.fields.name, entry.fields.policy ?? '');
    let published = 0;
    for (const doc of await this.collection.find({})) {
      let policy: LimitPolicy;
      try {
        policy = parsePolicy(JSON.parse(doc.policy));
      } catch (err) {
        logger.warn({ err, name: doc._id }, 'unreadable stored rate-limit policy override skipped');
        continue;
      }
      if (inKv.get(policy.name) === JSON.stringify(policy)) continue;
      await directory.setPolicy(policy);
      published++;
    }
    await kv.set(POLICIES_MARKER, String(this.now().getTime()));
    if (published > 0)
      logger.warn({ published }, 'rate-limit policy overrides missing from the kv were published again from the document store');
  }
}
