import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run by EVALSHA, falling back to EVAL when the server does not have it cached
 * (first use, or after a restart / SCRIPT FLUSH) — EVAL caches it again for the next call.
 */
export class LuaScript {
  readonly sha: string;

  constructor(
    readonly name: string,
    readonly lua: string,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/**
 * Appends with the next sequence number as an explicit id `<seq>-0`, in one atomic step, so two
 * writers of one stream never get the same seq nor store them out of order (an INCR then XADD *
 * pair could interleave). The last seq is the last entry's id: our entries are never deleted one
 * by one and trimming always keeps the newest entry, so the last entry is the last appended.
 * KEYS: stream. ARGV: maxLen (0 = unbounded), then field, value, ...
 */
export const APPEND_SCRIPT = new LuaScript(
  'append',
  `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local seq = 1
if last[1] then seq = tonumber(string.match(last[1][1], '^(%d+)-')) + 1 end
local args = { KEYS[1] }
local maxLen = tonumber(ARGV[1])
if maxLen > 0 then
  args[#args + 1] = 'MAXLEN'
  args[#args + 1] = '~'
  args[#args + 1] = ARGV[1]
end
args[#args + 1] = string.format('%d-0', seq)
for i = 2, #ARGV do args[#args + 1] = ARGV[i] end
redis.call('XADD', unpack(args))
return seq
`,
);

/**
 * INCRBY and, when the counter has no expiry afterwards (this increment created it), PEXPIRE —
 * atomically, so no crash between the two can leave a counter that never expires.
 * KEYS: counter. ARGV: by, ttlMs (0 = none).
 */
export const INCR_SCRIPT = new LuaScript(
  'incrBy',
  `
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
local ttl = tonumber(ARGV[2])
if ttl > 0 and redis.call('PTTL', KEYS[1]) == -1 then redis.call('PEXPIRE', KEYS[1], ttl) end
return value
`,
);

/**
 * The rate limiters of `rateLimit.ts`, transcribed line by line (the same integer-valued
 * arithmetic in doubles, the same rounding), state in a hash that expires when it no longer matters. Time is the server's TIME
 * unless ARGV[5] gives one (tests only), so every instance sees one clock.
 * KEYS: limiter. ARGV: algorithm, limit, windowMs, cost, now-or-empty, peek (1: decide, write nothing).
 * Returns { allowed (0/1), remaining, resetAt, retryAfterMs, limit }.
 */
export const RATE_LIMIT_SCRIPT = new LuaScript(
  'rateLimit',
  `
local key = KEYS[1]
local algorithm = ARGV[1]
local limit = tonumber(ARGV[2])
local size = tonumber(ARGV[3])
local cost = tonumber(ARGV[4])
local now = tonumber(ARGV[5])
if not now then
  local t = redis.call('TIME')
  now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
-- Integers below 2^53 print exactly with %.17g (tostring would round to 14 digits).
local function num(x) return string.format('%.17g', x) end
local allowed, remaining, resetAt, retry, ttl, state
if algorithm == 'token-bucket' then
  local full = limit * size
  local price = cost * size
  local level = full
  local s = redis.call('HMGET', key, 'level', 'ts')
  if s[1] and s[2] then level = math.min(full, tonumber(s[1]) + math.max(0, now - tonumber(s[2])) * limit) end
  allowed = level >= price
  if allowed then level = level - price end
  local fullIn = math.ceil((full - level) / limit)
  remaining = math.floor(level / size)
  resetAt = now + fullIn
  retry = 0
  if not allowed then retry = math.ceil((price - level) / limit) end
  ttl = fullIn
  state = { 'level', num(level), 'ts', num(now) }
elseif algorithm == 'gcra' then
  local period = limit * size
  local ms, rem = now, 0
  local s = redis.call('HMGET', key, 'ms', 'rem')
  if s[1] and s[2] then
    local sm, sr = tonumber(s[1]), tonumber(s[2])
    if sm > now or (sm == now and sr > 0) then
      ms = sm
      rem = sr
    end
  end
  local add = rem + cost * size
  local nextMs = ms + math.floor(add / limit)
  local nextRem = add % limit
  local aheadNext = (nextMs - now) * limit + nextRem
  allowed = aheadNext <= period
  if allowed then
    ms = nextMs
    rem = nextRem
  end
  local ahead = (ms - now) * limit + rem
  local fullIn = math.ceil(ahead / limit)
  remaining = math.floor((period - ahead) / size)
  resetAt = now + fullIn
  retry = 0
  if not allowed then retry = math.ceil((aheadNext - period) / limit) end
  ttl = fullIn
  state = { 'ms', num(ms), 'rem', num(rem) }
else
  local win = math.floor(now / size)
  local curr, prev = 0, 0
  local s = redis.call('HMGET', key, 'win', 'curr', 'prev')
  if s[1] and s[2] and s[3] then
    local stored = tonumber(s[1])
    if stored == win then
      curr = tonumber(s[2])
      prev = tonumber(s[3])
    elseif stored == win - 1 then
      prev = tonumber(s[2])
    end
  end
  local start = win * size
  local elapsed = now - start
  local loadW = prev * (size - elapsed) + curr * size
  allowed = loadW + cost * size <= limit * size
  retry = 0
  if allowed then
    curr = curr + cost
    loadW = loadW + cost * size
  else
    local room = limit - curr - cost
    local at
    if room >= 0 and prev > 0 then at = start + math.ceil((size * (prev - room)) / prev)
    else at = start + size + math.ceil((size * math.max(0, curr - (limit - cost))) / curr) end
    retry = math.max(1, at - now)
  end
  resetAt = now
  if curr > 0 then resetAt = start + 2 * size elseif prev > 0 then resetAt = start + size end
  remaining = math.max(0, math.floor((limit * size - loadW) / size))
  ttl = start + 2 * size - now
  state = { 'win', num(win), 'curr', num(curr), 'prev', num(prev) }
end
if ARGV[6] ~= '1' then
  redis.call('DEL', key)
  if ttl > 0 then
    redis.call('HSET', key, unpack(state))
    redis.call('PEXPIRE', key, num(ttl))
  end
end
if allowed then allowed = 1 else allowed = 0 end
return { allowed, remaining, resetAt, retry, limit }
`,
);
