import { createHash } from 'node:crypto';

// The Lua scripts the Redis session cache runs, each one atomic in Redis.
//
// Every key the cache writes, after the prefix:
//   session:<digest>  the entry: "<token>|<user id, hex>|<signed rest>" (see redis-cache-entry.ts),
//                     or a lease "lease:<token>"
//   user:<hex>        the token of the user's last "end all sessions" (expires after ttl)
//   epoch             the token of the last full invalidation: older entries are ignored
//   clock             the last token handed out
// Tokens grow monotonically (microseconds of Redis's clock, at least the last one plus 1), so
// comparing two tokens tells which event came first. Entries, leases and user marks all expire;
// `epoch` and `clock` are two small keys that do not.

/** The next token: Redis's clock in microseconds, and always above the last one. */
const NEXT_TOKEN = `
local function next_token(clock)
  local time = redis.call('TIME')
  local last = tonumber(redis.call('GET', clock) or '0')
  local token = string.format('%.0f', math.max(tonumber(time[1]) * 1000000 + tonumber(time[2]), last + 1))
  redis.call('SET', clock, token)
  return token
end
`;

/**
 * A lookup. KEYS: entry, epoch, clock; ARGV: lease ttl, user-mark prefix. Returns the entry when
 * it is newer than the epoch and than its user's last "end all sessions"; else takes a lease and
 * returns it ("lease:<token>"); or 0 when another lookup holds the lease. Without an epoch (a
 * flushed or restarted Redis) every entry counts as old.
 */
const READ_SCRIPT = `${NEXT_TOKEN}
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = next_token(KEYS[3])
  redis.call('SET', KEYS[2], epoch)
end
local value = redis.call('GET', KEYS[1])
if value then
  local first = string.find(value, '|', 1, true)
  if not first then return 0 end
  local token = tonumber(string.sub(value, 1, first - 1))
  if token and token > tonumber(epoch) then
    local second = string.find(value, '|', first + 1, true)
    if not second then return 0 end
    local user = string.sub(value, first + 1, second - 1)
    local ended = user ~= '' and redis.call('GET', ARGV[2] .. user)
    if not ended or token > tonumber(ended) then return value end
  end
end
local lease = 'lease:' .. next_token(KEYS[3])
redis.call('SET', KEYS[1], lease, 'PX', ARGV[1])
return lease
`;

/**
 * Fills an entry with what the database answered, if the lease taken before that read is still
 * there and no full or user-wide invalidation came after it. KEYS: entry, epoch; ARGV: lease,
 * user id (hex), the entry's signed rest, ttl, user-mark prefix. Returns 1 when written.
 */
const FILL_SCRIPT = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local token = string.sub(ARGV[1], 7)
local epoch = redis.call('GET', KEYS[2])
local ended = ARGV[2] ~= '' and redis.call('GET', ARGV[5] .. ARGV[2])
if not epoch or tonumber(token) <= tonumber(epoch) or (ended and tonumber(token) <= tonumber(ended)) then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[1], token .. '|' .. ARGV[2] .. '|' .. ARGV[3], 'PX', ARGV[4])
return 1
`;

/** Gives a lease back (the row was missing or expired). KEYS: entry; ARGV: lease. */
const RELEASE_SCRIPT = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Marks "every session of this user ended now": their entries, and fills under older leases,
 * are refused from now on. KEYS: user mark, clock; ARGV: how long the mark must last.
 */
const END_USER_SCRIPT = `${NEXT_TOKEN}
local token = next_token(KEYS[2])
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token
`;

/** Starts a new epoch: every entry and lease there is now is ignored. KEYS: epoch, clock. */
const NEW_EPOCH_SCRIPT = `${NEXT_TOKEN}
local token = next_token(KEYS[2])
redis.call('SET', KEYS[1], token)
return token
`;

/** A script and the SHA-1 that EVALSHA names it by. */
export interface RedisScript {
  source: string;
  sha: string;
}

function script(source: string): RedisScript {
  return { source, sha: createHash('sha1').update(source).digest('hex') };
}

export const SCRIPTS = {
  read: script(READ_SCRIPT),
  fill: script(FILL_SCRIPT),
  release: script(RELEASE_SCRIPT),
  endUser: script(END_USER_SCRIPT),
  newEpoch: script(NEW_EPOCH_SCRIPT),
};
