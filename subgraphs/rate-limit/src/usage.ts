import { codedError } from '@chatgraph/kit';
import { utcDay } from './pricing';
import type { DailyUsageDoc, RateLimitCollections } from './store';

/** Longest range one usage query covers. */
export const MAX_USAGE_RANGE_DAYS = 366;
/** The range when the caller gives no `from`. */
export const DEFAULT_USAGE_RANGE_DAYS = 30;
const DAY_MS = 86_400_000;

/** Token and credit counts. */
export interface UsageCounts {
  credits: number;
  promptTokens: number;
  completionTokens: number;
  generations: number;
}

/** `User.usage`: totals, by model and by day and model. */
export interface UsageSummaryView extends UsageCounts {
  from: Date;
  to: Date;
  byModel: Array<UsageCounts & { model: string }>;
  byDay: Array<UsageCounts & { day: string; model: string }>;
}

/** ADMIN totals: `UsageSummaryView` over every user, plus how many users spent anything. */
export interface UsageTotalsView extends Omit<UsageSummaryView, 'byDay'> {
  users: number;
}

/**
 * The days a usage query covers: `to` defaults to now, `from` to 30 days before `to`; both are
 * whole UTC days (usage is kept per day), `from` not after `to`, at most 366 days apart.
 */
export function usageRange(
  from: Date | string | null | undefined,
  to: Date | string | null | undefined,
  now: Date,
): { from: Date; to: Date; firstDay: string; lastDay: string } {
  const end = to ? new Date(to) : now;
  const start = from ? new Date(from) : new Date(end.getTime() - DEFAULT_USAGE_RANGE_DAYS * DAY_MS);
  if (Number.isNaN(end.getTime())) throw codedError('BAD_USER_INPUT', 'to is not a date', { field: 'to' });
  if (Number.isNaN(start.getTime())) throw codedError('BAD_USER_INPUT', 'from is not a date', { field: 'from' });
  if (start.getTime() > end.getTime()) throw codedError('BAD_USER_INPUT', 'from must not be after to', { field: 'from' });
  if (end.getTime() - start.getTime() > MAX_USAGE_RANGE_DAYS * DAY_MS)
    throw codedError('BAD_USER_INPUT', `A usage range covers at most ${MAX_USAGE_RANGE_DAYS} days`, { field: 'from' });
  return { from: start, to: end, firstDay: utcDay(start), lastDay: utcDay(end) };
}

const zero = (): UsageCounts => ({ credits: 0, promptTokens: 0, completionTokens: 0, generations: 0 });

function add(into: UsageCounts, row: UsageCounts): void {
  into.credits += row.credits;
  into.promptTokens += row.promptTokens;
  into.completionTokens += row.completionTokens;
  into.generations += row.generations;
}

const countsOf = (row: DailyUsageDoc): UsageCounts => ({
  credits: row.credits,
  promptTokens: row.promptTokens,
  completionTokens: row.completionTokens,
  generations: row.generations,
});

/** Sums daily usage rows: in total, by model (most credits first) and by day (oldest first). */
function summarize(rows: DailyUsageDoc[]): UsageCounts & { byModel: UsageSummaryView['byModel']; byDay: UsageSummaryView['byDay'] } {
  const total = zero();
  const models = new Map<string, UsageCounts & { model: string }>();
  const days = new Map<string, UsageCounts & { day: string; model: string }>();
  for (const row of rows) {
    add(total, row);
    const model = models.get(row.model) ?? { model: row.model, ...zero() };
    add(model, row);
    models.set(row.model, model);
    const key = `${row.day}|${row.model}`;
    const day = days.get(key) ?? { day: row.day, model: row.model, ...zero() };
    add(day, row);
    days.set(key, day);
  }
  const byModel = [...models.values()].sort((a, b) => b.credits - a.credits || a.model.localeCompare(b.model));
  const byDay = [...days.values()].sort((a, b) => a.day.localeCompare(b.day) || a.model.localeCompare(b.model));
  return { ...total, byModel, byDay };
}

/** Reads usage from the daily rows. */
export class UsageReads {
  constructor(private readonly collections: RateLimitCollections) {}

  /** One user's usage over the range. */
  async ofUser(userId: string, range: ReturnType<typeof usageRange>): Promise<UsageSummaryView> {
    const rows = await this.collections.dailyUsage.find({ userId, day: { $gte: range.firstDay, $lte: range.lastDay } });
    return { from: range.from, to: range.to, ...summarize(rows.map((r) => ({ ...r, ...countsOf(r) }))) };
  }

  /** Every user's usage over the range. */
  async totals(range: ReturnType<typeof usageRange>): Promise<UsageTotalsView> {
    const rows = await this.collections.dailyUsage.find({ day: { $gte: range.firstDay, $lte: range.lastDay } });
    const { byDay: _byDay, ...summary } = summarize(rows);
    return { from: range.from, to: range.to, ...summary, users: new Set(rows.map((r) => r.userId)).size };
  }
}
