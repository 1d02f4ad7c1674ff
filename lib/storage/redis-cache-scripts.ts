import { createHash } from 'node:crypto';

// The Lua scripts the Redis session cache runs, each one atomic in Redis.
//
// Every key the cache writes, after the prefix:
//   session:<digest>      the entry: "<token>|<user id, hex>|<signed rest>" (see redis-cache-entry.ts),
//                         or a lease "lease:<token>"
//   ending:<digest>       how many revocations of the session are writing the database now
//   user:<hex>            the token of the user's last "end all sessions" (expires after ttl)
//   ending-user:<hex>     how many "end all sessions" of the user are writing the database now
//   epoch                 the token of the last full invalidation: older entries are ignored
//   clock                 the last token handed out
// Tokens grow monotonically (microseconds of Redis's clock, at least the last one plus 1), so
// comparing two tokens tells which event came first. Entries, leases, user marks and `ending`
// counts all expire; `epoch` and `clock` are two small keys that do not.

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
const READ = `${NEXT_TOKEN}
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
 * there, no revocation of the session or its user is writing the database, and no full or
 * user-wide invalidation came after the lease. KEYS: entry, epoch, the session's `ending`;
 * ARGV: lease, user id (hex), the entry's signed rest, ttl, user-mark prefix, user `ending`
 * prefix. Returns 1 when written.
 */
const FILL = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
local token = string.sub(ARGV[1], 7)
local epoch = redis.call('GET', KEYS[2])
local ended = ARGV[2] ~= '' and redis.call('GET', ARGV[5] .. ARGV[2])
local ending = redis.call('EXISTS', KEYS[3]) == 1 or (ARGV[2] ~= '' and redis.call('EXISTS', ARGV[6] .. ARGV[2]) == 1)
if ending or not epoch or tonumber(token) <= tonumber(epoch) or (ended and tonumber(token) <= tonumber(ended)) then
  redis.call('DEL', KEYS[1])
  return 0
end
redis.call('SET', KEYS[1], token .. '|' .. ARGV[2] .. '|' .. ARGV[3], 'PX', ARGV[4])
return 1
`;

/** Gives a lease back (the row was missing or expired). KEYS: entry; ARGV: lease. */
const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

/**
 * Before a revocation writes the database: deletes the entries of these sessions and counts the
 * revocation in their `ending`, so that no lookup caches a row until it is done. KEYS: entry,
 * `ending`, for each session; ARGV: how long the count lasts if it is never taken back.
 */
const HOLD_SESSIONS = `
for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  redis.call('INCR', KEYS[i + 1])
  redis.call('PEXPIRE', KEYS[i + 1], ARGV[1])
end
return 1
`;

/**
 * After the write: takes the revocation out of the count, and deletes the entries again (a
 * lease taken meanwhile may have read the row before the write). KEYS as for the hold.
 */
const LIFT_SESSIONS = `
for i = 1, #KEYS, 2 do
  redis.call('DEL', KEYS[i])
  if redis.call('DECR', KEYS[i + 1]) <= 0 then redis.call('DEL', KEYS[i + 1]) end
end
return 1
`;

/**
 * Before "end all (other) sessions" of a user writes the database: marks every entry of the
 * user filled so far as ended, and counts the revocation in the user's `ending`, so that no
 * lookup caches a row of the user until it is done. KEYS: user mark, user `ending`, clock;
 * ARGV: how long the mark must last, how long the count lasts if it is never taken back.
 */
const HOLD_USER = `${NEXT_TOKEN}
redis.call('SET', KEYS[1], next_token(KEYS[3]), 'PX', ARGV[1])
redis.call('INCR', KEYS[2])
redis.call('PEXPIRE', KEYS[2], ARGV[2])
return 1
`;

/**
 * After the write: marks the user's entries and leases as ended again (a lease taken meanwhile
 * may have read rows before the write), and takes the revocation out of the count. KEYS and
 * ARGV as for the hold.
 */
const LIFT_USER = `${NEXT_TOKEN}
redis.call('SET', KEYS[1], next_token(KEYS[3]), 'PX', ARGV[1])
if redis.call('DECR', KEYS[2]) <= 0 then redis.call('DEL', KEYS[2]) end
return 1
`;

/** Starts a new epoch: every entry and lease there is now is ignored. KEYS: epoch, clock. */
const NEW_EPOCH = `${NEXT_TOKEN}
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
  read: script(READ),
  fill: script(FILL),
  release: script(RELEASE),
  holdSessions: script(HOLD_SESSIONS),
  liftSessions: script(LIFT_SESSIONS),
  holdUser: script(HOLD_USER),
  liftUser: script(LIFT_USER),
  newEpoch: script(NEW_EPOCH),
};
