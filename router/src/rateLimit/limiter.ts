import type { Logger, Principal } from '@chatgraph/kit';
import type { KvStore, RateLimitResult } from '@chatgraph/kit/kv';
import {
  accountKey,
  budgetKey,
  limitSubject,
  policyMatches,
  type Ban,
  type BanRegistry,
  type LimitPolicy,
  type LimitSubject,
  type PolicyDirectory,
  type PrincipalKind,
  type ViolationReason,
} from '@chatgraph/kit/limits';
import { refusal, type Refusal } from '../refusal';
import { Deadlines } from './deadlines';
import { policyField, rateLimitHeaders, type HeaderItem } from './headers';
import type { RateLimitMetrics } from './metrics';
import { OpenStreams, streamCap } from './openStreams';
import type { RootFieldUse } from './operationFacts';

/** What the limiter needs; the kv, directory and registry are started and stopped by the router. */
export interface RouterRateLimiterOptions {
  kv: KvStore;
  policies: PolicyDirectory;
  bans: BanRegistry;
  metrics: RateLimitMetrics;
  logger: Logger;
  /** Longest a decision waits for the kv before the policy's fail mode applies. Default 500. */
  decisionTimeoutMs?: number;
  /** Lease period of the open-subscriptions count shared by every router (openStreams.ts). Default 30000. */
  streamLeaseMs?: number;
  now?: () => number;
}

/** One policy's decision for one request: a result, or the kv failed (`result` undefined). */
interface Check {
  policy: LimitPolicy;
  result?: RateLimitResult;
}

/**
 * The enabled `operation` and `upload` policies of one principal kind, split as a request spends
 * them: `early` as soon as the caller is known (caller-wide, cost 1, or KiB for uploads), `late`
 * (those naming root fields or operations, costed statically, or keyed by account) once the
 * operation is known, still to be matched against it.
 */
interface KindPolicies {
  early: readonly LimitPolicy[];
  late: readonly LimitPolicy[];
}

const KV_ERROR_LOG_INTERVAL_MS = 10_000;
const NO_CHECKS: readonly Check[] = [];

function retryAfterSeconds(ms: number): number {
  return Math.max(1, Math.ceil(ms / 1000));
}

/** RATE_LIMITED (429) with `retryAfterSeconds` and a `Retry-After` header. */
export function rateLimited(message: string, retryMs: number, details: Record<string, unknown> = {}): Refusal {
  const seconds = retryAfterSeconds(retryMs);
  return refusal('RATE_LIMITED', message, { ...details, retryAfterSeconds: seconds }, 429, { 'retry-after': String(seconds) });
}

/**
 * Decides every rate limit of the router, before any subgraph is called: GCRA in the shared kv
 * (a Lua script on Redis, so N routers spend one budget), the policies of the directory, bans of
 * the registry. Each decision costs one kv call per matching policy, issued together; a ban
 * lookup is usually served from the registry's one-second cache.
 */
export class RouterRateLimiter {
  private readonly now: () => number;
  private lastKvErrorLog = 0;
  /** Subscriptions each user holds open on every router together (the per-user cap across routers). */
  private readonly streams: OpenStreams;
  private readonly deadlines: Deadlines;
  /** The directory's snapshot `byKind` was split from: a policy change (announced, then folded in) replaces it. */
  private splitFrom: readonly LimitPolicy[] | undefined;
  private readonly byKind = new Map<PrincipalKind, KindPolicies>();
  private readonly policyFields = new WeakMap<LimitPolicy, { limit: number; field: string }>();

  constructor(readonly options: RouterRateLimiterOptions) {
    this.now = options.now ?? Date.now;
    this.deadlines = new Deadlines(options.decisionTimeoutMs ?? 500, 'rate-limit decision timed out');
    this.streams = new OpenStreams({
      kv: options.kv,
      leaseMs: options.streamLeaseMs,
      now: options.now,
      onKvError: (err) => this.kvFailed('subscriptions-per-user', err, 'open'),
    });
  }

  /**
   * Takes one of `user`'s open-subscription slots, counted over every router sharing the kv, under
   * the cap of the `concurrent-subscriptions` policies (openStreams.ts `streamCap`; a kv failure
   * lets it through: fail open, logged): undefined when taken, else RATE_LIMITED naming the limit.
   * With no such policy enabled the slot is still counted, uncapped, so a cap enabled again
   * applies to the subscriptions already open. The caller gives the slot back with
   * `releaseStream` when the subscription ends.
   */
  async acquireStream(principal: Principal, user: string): Promise<Refusal | undefined> {
    const cap = streamCap(this.options.policies.policies(), limitSubject(principal, '').kind);
    const slot = await this.streams.acquire(user, cap?.limit ?? Infinity);
    if (slot.ok || !cap) return undefined;
    const max = cap.limit;
    this.options.metrics.decisionsOf(cap.name).refused.value++;
    return rateLimited(`At most ${max} subscriptions may be open for one user`, slot.retryAfterMs, {
      limit: 'subscriptionsPerUser',
      policy: cap.name,
      max,
    });
  }

  /** Gives back a slot `acquireStream` took. */
  releaseStream(user: string): void {
    this.streams.release(user);
  }

  /** Starts a request's gate: its ban lookup and the policies that need nothing but the caller (decided meanwhile). */
  open(principal: Principal, address: string, bodyBytes: number): RequestGate {
    return new RequestGate(this, limitSubject(principal, address), bodyBytes);
  }

  /**
   * The decision for starting one subscription (graphql-ws `subscribe`, an HTTP stream): the
   * refusal (undefined when allowed) and the RateLimit headers an HTTP stream's answer carries.
   */
  async subscribe(principal: Principal, address: string): Promise<{ refusal?: Refusal; headers: Record<string, string> }> {
    const subject = limitSubject(principal, address);
    const [banned, checks] = await Promise.all([
      this.banRefusal(subject),
      this.decide(subject, this.matching('subscribe', subject, [], undefined), () => 1),
    ]);
    return { refusal: banned ?? this.refusalOf(subject, checks), headers: this.headers(checks) };
  }

  /** Counts a violation against the subject (fire and forget: a kv failure is logged, never the request's). */
  violation(subject: LimitSubject, reason: ViolationReason, weight = 1): void {
    this.options.bans.violation(subject.principal, reason, weight).then(
      (ban) => {
        if (ban) this.options.metrics.bans.inc({ reason });
      },
      (err: unknown) => this.kvFailed('bans', err),
    );
  }

  /**
   * The enabled operation and upload policies of `kind`, split once per policy snapshot rather
   * than filtered on every request (the snapshot changes only when a change is folded in).
   */
  policiesOf(kind: PrincipalKind): KindPolicies {
    const snapshot = this.options.policies.policies();
    if (snapshot !== this.splitFrom) {
      this.splitFrom = snapshot;
      this.byKind.clear();
    }
    let split = this.byKind.get(kind);
    if (!split) {
      const operation = snapshot.filter((p) => !p.disabled && p.scope === 'operation' && p.principals.includes(kind));
      const callerWide = (p: LimitPolicy) => !p.rootFields && !p.operationNames && p.cost === 'request' && p.key !== 'account';
      const uploads = snapshot.filter((p) => !p.disabled && p.scope === 'upload' && p.principals.includes(kind));
      split = { early: [...operation.filter(callerWide), ...uploads], late: operation.filter((p) => !callerWide(p)) };
      this.byKind.set(kind, split);
    }
    return split;
  }

  /** Enabled policies of `scope` counting this request. */
  matching(
    scope: LimitPolicy['scope'],
    subject: LimitSubject,
    rootFields: readonly string[],
    operationName: string | undefined,
  ): LimitPolicy[] {
    return this.options.policies.policies().filter((p) => policyMatches(p, scope, subject.kind, rootFields, operationName));
  }

  /** Spends `costOf(policy)` of each policy's budget (a cost of 0 spends and decides nothing), together. */
  async decide(
    subject: LimitSubject,
    policies: readonly LimitPolicy[],
    costOf: (policy: LimitPolicy) => number | Array<{ account: string; cost: number }>,
  ): Promise<Check[]> {
    const calls: Array<Promise<Check>> = [];
    for (const policy of policies) {
      const cost = costOf(policy);
      const spends = typeof cost === 'number' ? [{ account: undefined, cost }] : cost;
      for (const spend of spends) {
        const key = budgetKey(policy, subject, spend.account);
        if (key === undefined || spend.cost <= 0) continue;
        calls.push(this.spend(policy, key, Math.min(spend.cost, policy.limit)));
      }
    }
    return calls.length === 0 ? Promise.resolve([]) : Promise.all(calls);
  }

  /** The refusal for these decisions (the first denial, or a fail-closed kv failure), counting a violation; undefined when all allowed. */
  refusalOf(subject: LimitSubject, checks: readonly Check[]): Refusal | undefined {
    let denied: Check | undefined;
    for (const check of checks) {
      if (!check.result && check.policy.failMode === 'closed') {
        return refusal(
          'UNAVAILABLE',
          'Rate limits cannot be checked right now; try again shortly',
          { retryAfterSeconds: 1, policy: check.policy.name },
          503,
          { 'retry-after': '1' },
        );
      }
      if (check.result && !check.result.allowed && (!denied?.result || check.result.retryAfterMs > denied.result.retryAfterMs))
        denied = check;
    }
    if (!denied?.result) return undefined;
    // Only refusals of the caller's own budget count toward its ban: an account-keyed refusal
    // (someone guessing one account's password) must not ban the address everyone behind a
    // shared NAT uses (LibreChat issue #3915); the account's limit already stops the guessing.
    if (denied.policy.key !== 'account') this.violation(subject, 'rate-limited');
    const { name } = denied.policy;
    return rateLimited(`Too many requests (policy "${name}"); try again later`, denied.result.retryAfterMs, { policy: name });
  }

  /**
   * RATE_LIMITED when the subject is banned (a kv failure lets it through: bans are a deterrent,
   * budgets the guarantee). Answered at once, with no promise, when the registry's cache knows.
   */
  banRefusal(subject: LimitSubject): Refusal | undefined | Promise<Refusal | undefined> {
    const known = this.options.bans.cachedBan(subject.principal);
    if (known !== undefined) return this.refusalOfBan(subject, known);
    return this.options.bans.banOf(subject.principal).then(
      (ban) => this.refusalOfBan(subject, ban),
      (err: unknown) => {
        this.kvFailed('bans', err);
        return undefined;
      },
    );
  }

  private refusalOfBan(subject: LimitSubject, ban: Ban | null): Refusal | undefined {
    if (!ban) return undefined;
    this.options.metrics.bannedRequests.inc({ kind: subject.kind });
    return rateLimited('Too many refused requests: temporarily banned; try again later', ban.until - this.now(), { banned: true });
  }

  /** The RateLimit headers of these decisions, one entry per policy (a policy spent for several accounts reports its first). */
  headers(checks: readonly Check[]): Record<string, string> {
    const items: HeaderItem[] = [];
    for (const { policy, result } of checks) {
      // A request spends a handful of policies: a scan is cheaper than a Set.
      if (!result || items.some((i) => i.name === policy.name)) continue;
      items.push({ name: policy.name, windowMs: policy.windowMs, result, policyField: this.policyFieldOf(policy, result.limit) });
    }
    return rateLimitHeaders(items, this.now());
  }

  /** A policy's `RateLimit-Policy` entry, formatted once per policy object (a change brings a new object). */
  private policyFieldOf(policy: LimitPolicy, limit: number): string {
    const known = this.policyFields.get(policy);
    if (known?.limit === limit) return known.field;
    const field = policyField(policy.name, limit, policy.windowMs);
    this.policyFields.set(policy, { limit, field });
    return field;
  }

  /** One kv decision, bounded by the decision timeout; a failure (or the timeout) is a check without result. */
  private spend(policy: LimitPolicy, key: string, cost: number): Promise<Check> {
    const series = this.options.metrics.decisionsOf(policy.name);
    let decided: Promise<RateLimitResult>;
    try {
      decided = this.options.kv.rateLimit(key, { algorithm: 'gcra', limit: policy.limit, windowMs: policy.windowMs, cost });
    } catch (err) {
      decided = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    // One promise per decision, settled by the kv's answer or by the deadline, whichever is first.
    return new Promise<Check>((resolve) => {
      let settled = false;
      const failed = (err: unknown): void => {
        if (settled) return;
        settled = true;
        series.error.value++;
        this.options.metrics.kvErrors.inc({ policy: policy.name, fail_mode: policy.failMode });
        this.kvFailed(policy.name, err, policy.failMode);
        resolve({ policy });
      };
      const wait = this.deadlines.start(failed);
      decided.then(
        (result) => {
          if (settled) return;
          settled = true;
          this.deadlines.done(wait);
          (result.allowed ? series.allowed : series.refused).value++;
          resolve({ policy, result });
        },
        (err: unknown) => {
          this.deadlines.done(wait);
          failed(err);
        },
      );
    });
  }

  /** One log line per 10 s at most while the kv is down: the metric counts every occurrence. */
  private kvFailed(policy: string, err: unknown, failMode?: LimitPolicy['failMode']): void {
    const now = this.now();
    if (now - this.lastKvErrorLog < KV_ERROR_LOG_INTERVAL_MS) return;
    this.lastKvErrorLog = now;
    this.options.logger.error(
      { err, policy, failMode },
      failMode === 'closed'
        ? 'rate-limit kv unavailable: requests of fail-closed policies are refused'
        : 'rate-limit kv unavailable: requests are let through unlimited',
    );
  }
}

/**
 * One HTTP request (or graphql-ws query/mutation) on its way through the router. Opened once the
 * caller is authenticated: the ban lookup and the caller-wide policies start at once and are
 * decided while the pipeline parses; `operation()` adds the policies that need the operation
 * (root fields, static cost, the account named) right before execution, and `finish()` gives the
 * refusal, if any, and the headers every answer carries.
 */
export class RequestGate {
  private readonly early: Promise<[Refusal | undefined, Check[]]>;
  private late: readonly Check[] = NO_CHECKS;
  private operated = false;

  constructor(
    private readonly limiter: RouterRateLimiter,
    readonly subject: LimitSubject,
    bodyBytes: number,
  ) {
    const kib = Math.floor(bodyBytes / 1024);
    const decided = limiter.decide(subject, limiter.policiesOf(subject.kind).early, (p) => (p.scope === 'upload' ? kib : 1));
    const banned = limiter.banRefusal(subject);
    // A ban known from the registry's cache needs no second promise to wait for.
    this.early = banned instanceof Promise ? Promise.all([banned, decided]) : decided.then((checks) => [banned, checks]);
    // Never an unhandled rejection if the request ends before anyone awaits it (decide() does not reject).
    this.early.catch(() => undefined);
  }

  /** The operation's own policies, decided with the caller-wide ones: the refusal, or undefined to execute. */
  async operation(uses: readonly RootFieldUse[], operationName: string | undefined, staticCost: number): Promise<Refusal | undefined> {
    const names = uses.map((u) => u.name);
    const policies = this.limiter
      .policiesOf(this.subject.kind)
      .late.filter((p) => policyMatches(p, 'operation', this.subject.kind, names, operationName));
    const [[banned, early], late] = await Promise.all([
      this.early,
      this.limiter.decide(this.subject, policies, (p) => {
        const counted = p.rootFields ? uses.filter((u) => p.rootFields?.includes(u.name)) : uses;
        if (p.key === 'account') {
          const perAccount = new Map<string, number>();
          for (const use of counted) if (use.email) perAccount.set(accountKey(use.email), (perAccount.get(accountKey(use.email)) ?? 0) + 1);
          return [...perAccount].map(([account, cost]) => ({ account, cost }));
        }
        if (p.cost === 'static') return Math.max(1, staticCost);
        return p.rootFields ? counted.length : 1;
      }),
    ]);
    this.late = late;
    this.operated = true;
    return banned ?? this.limiter.refusalOf(this.subject, late.length === 0 ? early : [...early, ...late]);
  }

  /** Counts a violation of this request's subject (e.g. an abusive payload). */
  violation(reason: ViolationReason, weight: number): void {
    this.limiter.violation(this.subject, reason, weight);
  }

  /**
   * Once the pipeline is done: the headers, and — when the pipeline answered before `operation()`
   * (a refusal of its own, e.g. a syntax error) — the ban or caller-wide refusal that replaces its
   * answer: a client over its limit is told so, whatever else was wrong with its request. The
   * headers are formatted when read, once: the router asks before parsing whether the caller is
   * already refused, and only uses the headers of that answer when it is.
   */
  async finish(): Promise<{ refusal?: Refusal; headers: Record<string, string> }> {
    const [banned, early] = await this.early;
    const refusalNow = this.operated ? undefined : (banned ?? this.limiter.refusalOf(this.subject, early));
    return new GateAnswer(refusalNow, this.limiter, this.late.length === 0 ? early : [...early, ...this.late]);
  }
}

/** What `finish()` gives: the refusal, and the headers, formatted at their first read. */
class GateAnswer {
  private formatted: Record<string, string> | undefined;

  constructor(
    readonly refusal: Refusal | undefined,
    private readonly limiter: RouterRateLimiter,
    private readonly checks: readonly Check[],
  ) {}

  get headers(): Record<string, string> {
    this.formatted ??= this.limiter.headers(this.checks);
    return this.formatted;
  }
}
