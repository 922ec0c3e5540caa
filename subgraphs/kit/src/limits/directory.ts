import type { Logger } from '../logger';
import type { KvStore, Unsubscribe } from '../kv/port';
import { DEFAULT_POLICIES } from './defaults';
import { parsePolicy, type LimitPolicy } from './policy';

/** The stream every policy change is appended to (the source of truth) and the channel that announces one. */
export const POLICY_LOG = 'limits:policies';
export const POLICY_CHANNEL = 'limits:policies:changed';

/** A policy as listed: where it comes from. */
export interface ListedPolicy extends LimitPolicy {
  source: 'default' | 'override';
}

export interface PolicyDirectoryOptions {
  kv: KvStore;
  logger: Logger;
  /** The policies before any override (DEFAULT_POLICIES unless configuration says otherwise). */
  defaults?: readonly LimitPolicy[];
  /** Re-reads the log this often in case a change announcement was missed (pub/sub is at most once). Default 10000. */
  pollMs?: number;
}

/**
 * The effective policies: defaults, then ADMIN overrides by name. Overrides are appended to a kv
 * stream (never rewritten, so two admins writing at once cannot lose one another's change) and
 * announced on a channel; every router folds the log into its snapshot, reading only what is new,
 * within a round trip of the announcement (and at the latest after `pollMs`). The snapshot is
 * read synchronously on the request path.
 */
export class PolicyDirectory {
  private readonly defaults: readonly LimitPolicy[];
  private readonly overrides = new Map<string, LimitPolicy | null>();
  private snapshot: readonly LimitPolicy[];
  private lastSeq = 0;
  /** The fields of the entry at `lastSeq`, to tell the same log from a new one that reached the same seq. */
  private lastFields = '';
  private unsubscribe: Unsubscribe | undefined;
  private timer: NodeJS.Timeout | undefined;
  private reading: Promise<void> | undefined;
  private again = false;

  constructor(private readonly options: PolicyDirectoryOptions) {
    this.defaults = options.defaults ?? DEFAULT_POLICIES;
    this.snapshot = this.defaults;
  }

  /** Reads the log, then follows changes. A kv that is down leaves the defaults in force (logged). */
  async start(): Promise<void> {
    try {
      this.unsubscribe = await this.options.kv.subscribe(POLICY_CHANNEL, () => this.refresh());
      await this.refresh();
    } catch (err) {
      this.options.logger.warn({ err }, 'rate-limit policies unreadable; the defaults apply until the kv answers');
    }
    this.timer = setInterval(() => void this.refresh(), this.options.pollMs ?? 10_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.unsubscribe?.();
    this.unsubscribe = undefined;
  }

  /** The policies in force on this instance (enabled or not). */
  policies(): readonly LimitPolicy[] {
    return this.snapshot;
  }

  /** Reads what the log gained since the last read; concurrent calls share one read (and one more if asked meanwhile). */
  refresh(): Promise<void> {
    if (this.reading) {
      this.again = true;
      return this.reading;
    }
    this.reading = (async () => {
      try {
        do {
          this.again = false;
          await this.readLog();
        } while (this.again);
      } catch (err) {
        this.options.logger.warn({ err }, 'rate-limit policies could not be refreshed');
      } finally {
        this.reading = undefined;
      }
    })();
    return this.reading;
  }

  /** Stores an override (validated first: bad input is BAD_USER_INPUT and changes nothing), announces it, returns it. */
  async setPolicy(input: unknown): Promise<LimitPolicy> {
    const policy = parsePolicy(input);
    await this.options.kv.append(POLICY_LOG, { name: policy.name, policy: JSON.stringify(policy) });
    await this.announce();
    return policy;
  }

  /** Drops the override of `name` (its default, if any, applies again). Resolves whether there was one. */
  async resetPolicy(name: string): Promise<boolean> {
    await this.refresh();
    const had = this.overrides.get(name) !== undefined && this.overrides.get(name) !== null;
    if (had) {
      await this.options.kv.append(POLICY_LOG, { name, policy: '' });
      await this.announce();
    }
    return had;
  }

  /** Every policy with its source, fresh from the kv. */
  async listPolicies(): Promise<ListedPolicy[]> {
    await this.refresh();
    return this.snapshot.map((p) => ({ ...p, source: this.overrides.get(p.name) ? 'override' : 'default' }));
  }

  private async announce(): Promise<void> {
    await this.options.kv.publish(POLICY_CHANNEL, 'changed');
    await this.refresh();
  }

  private async readLog(): Promise<void> {
    // Read from the last entry seen, which must still be there: a kv that lost its data (a Redis
    // restart without persistence) starts the log again at seq 1, and this instance would
    // otherwise skip every entry up to its old seq (the rate-limit subgraph re-publishes the
    // overrides it stores: they must be read). The overrides known so far stay until the new
    // log says otherwise, so limits do not fall back to the defaults meanwhile.
    let entries = await this.options.kv.read(POLICY_LOG, { after: Math.max(0, this.lastSeq - 1) });
    if (this.lastSeq > 0) {
      const [first] = entries;
      if (first?.seq === this.lastSeq && JSON.stringify(first.fields) === this.lastFields) entries = entries.slice(1);
      else {
        this.options.logger.warn(
          { lastSeq: this.lastSeq },
          'rate-limit policy log was reset (kv data lost): reading it again from the start',
        );
        this.lastSeq = 0;
        entries = await this.options.kv.read(POLICY_LOG);
      }
    }
    if (entries.length === 0) return;
    for (const entry of entries) {
      this.lastSeq = entry.seq;
      this.lastFields = JSON.stringify(entry.fields);
      const name = entry.fields.name;
      if (!name) continue;
      try {
        this.overrides.set(name, entry.fields.policy ? parsePolicy(JSON.parse(entry.fields.policy)) : null);
      } catch (err) {
        // Written by setPolicy, so valid unless written by hand: skipped, never fatal.
        this.options.logger.warn({ err, name, seq: entry.seq }, 'unreadable rate-limit policy override skipped');
      }
    }
    const merged = new Map(this.defaults.map((p) => [p.name, p]));
    for (const [name, policy] of this.overrides) {
      if (policy) merged.set(name, policy);
      else {
        const fallback = this.defaults.find((p) => p.name === name);
        if (fallback) merged.set(name, fallback);
        else merged.delete(name);
      }
    }
    this.snapshot = [...merged.values()];
  }
}
