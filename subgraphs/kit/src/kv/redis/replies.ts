import type { RateLimitResult, StreamEntry } from '../port';

/**
 * Parsers for the Redis replies the adapter uses. Replies arrive typed as `unknown` (EVALSHA) or
 * loosely typed (streams), so their shape is checked rather than cast: a surprise from a server or
 * client upgrade becomes a clear error instead of a wrong seq.
 */

/** One XRANGE / XREAD item: `[id, [field, value, ...]]`, where our ids are `<seq>-0`. */
export function parseEntry(item: unknown): StreamEntry {
  if (!Array.isArray(item) || typeof item[0] !== 'string' || !Array.isArray(item[1])) throw unexpected('stream entry', item);
  const [id, flat] = item as [string, unknown[]];
  const seq = Number(id.slice(0, id.indexOf('-')));
  if (!Number.isSafeInteger(seq) || seq < 1) throw unexpected('stream id', id);
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const name = flat[i];
    const value = flat[i + 1];
    if (typeof name !== 'string' || typeof value !== 'string') throw unexpected('stream field', [name, value]);
    fields[name] = value;
  }
  return Object.freeze({ seq, fields: Object.freeze(fields) });
}

/** An XRANGE reply, or the items of one stream in an XREAD reply. */
export function parseEntries(items: unknown): StreamEntry[] {
  if (!Array.isArray(items)) throw unexpected('stream entries', items);
  return items.map(parseEntry);
}

/** XREAD's reply: `null` on timeout, else `[[key, items], ...]` (ioredis's legacy mapping keeps RESP2's shape). */
export function parseXread(reply: unknown): Array<{ key: string; items: unknown[] }> {
  if (reply === null) return [];
  if (!Array.isArray(reply)) throw unexpected('XREAD reply', reply);
  return reply.map((pair: unknown) => {
    if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !Array.isArray(pair[1])) throw unexpected('XREAD stream', pair);
    return { key: pair[0], items: pair[1] as unknown[] };
  });
}

/** An integer reply (ioredis may hand over big ones as strings). */
export function parseInteger(reply: unknown, what: string): number {
  const value = typeof reply === 'string' ? Number(reply) : reply;
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw unexpected(what, reply);
  return value;
}

/** The rate-limit script's `{ allowed, remaining, resetAt, retryAfterMs }` as an array of integers. */
export function parseRateLimit(reply: unknown): RateLimitResult {
  if (!Array.isArray(reply) || reply.length !== 5) throw unexpected('rate-limit reply', reply);
  const [allowed, remaining, resetAt, retryAfterMs, limit] = reply.map((value: unknown) => parseInteger(value, 'rate-limit field'));
  return { allowed: allowed === 1, remaining: remaining ?? 0, resetAt: resetAt ?? 0, retryAfterMs: retryAfterMs ?? 0, limit: limit ?? 0 };
}

function unexpected(what: string, value: unknown): Error {
  return new Error(`unexpected ${what} from redis: ${JSON.stringify(value)?.slice(0, 200)}`);
}
