/**
 * The Lua scripts of the Redis ban store (redis-ban-store.ts). Each runs atomically on the server, so two
 * nodes banning the same key at once still obey "a longer ban wins" and write one audit row each.
 *
 * Keys (all under the namespace's hash tag): `KEYS[1]` the ban's hash (`…:ban:<key>`), `KEYS[2]` the
 * index of bans by end (`…:bans`, member = key, score = untilMs), `KEYS[3]` the audit log (`…:bans:audit`,
 * score = audit id, member = the JSON row), `KEYS[4]` the audit id counter. The scripts never parse JSON:
 * the ban's fields live in the hash; cjson only writes the audit row.
 */

/** Fields of a ban's hash, in the order the scripts return them. */
export const BAN_FIELDS = ['scope', 'reason', 'by', 'level', 'created', 'until', 'source'] as const;

/**
 * Upsert. ARGV: key, scope, reason, by, level, createdAtMs, untilMs, source, nowMs, replace (0/1), actor,
 * ttlMs, refuseNew (1 when the caller has no room for a new key and the ban is automatic).
 * Returns { change, scope, reason, by, level, created, until, source, auditId }.
 */
export const ADD_BAN = `
local now = tonumber(ARGV[9])
local untilMs = tonumber(ARGV[7])
local level = tonumber(ARGV[5])
local cur = redis.call('HMGET', KEYS[1], 'scope', 'reason', 'by', 'level', 'created', 'until', 'source')
local change = 'added'
if cur[6] and tonumber(cur[6]) > now then
  local curUntil = tonumber(cur[6])
  if untilMs > curUntil then
    change = 'extended'
    if tonumber(cur[4]) > level then level = tonumber(cur[4]) end
  elseif ARGV[10] == '1' then
    change = 'replaced'
  else
    return {'unchanged', cur[1], cur[2], cur[3], cur[4], cur[5], cur[6], cur[7], '0'}
  end
end
if ARGV[13] == '1' and change ~= 'extended' and change ~= 'replaced' then
  return {'refused_full', '', '', '', '0', '0', '0', '', '0'}
end
redis.call('HSET', KEYS[1], 'scope', ARGV[2], 'reason', ARGV[3], 'by', ARGV[4], 'level', level, 'created', ARGV[6], 'until', ARGV[7], 'source', ARGV[8])
redis.call('PEXPIRE', KEYS[1], ARGV[12])
redis.call('ZADD', KEYS[2], untilMs, ARGV[1])
local id = redis.call('INCR', KEYS[4])
local action = 'add'
if change == 'extended' then action = 'extend' elseif change == 'replaced' then action = 'replace' end
local ban = {key = ARGV[1], scope = ARGV[2], reason = ARGV[3], by = ARGV[4], level = level, createdAtMs = tonumber(ARGV[6]), untilMs = untilMs, source = ARGV[8]}
redis.call('ZADD', KEYS[3], id, cjson.encode({id = id, atMs = now, action = action, key = ARGV[1], actor = ARGV[11], ban = ban}))
return {change, ARGV[2], ARGV[3], ARGV[4], tostring(level), ARGV[6], ARGV[7], ARGV[8], tostring(id)}
`;

/**
 * Removal. ARGV: key, actor, nowMs. Returns the removed ban's fields and the audit id, or an empty list
 * when there was none.
 */
export const REMOVE_BAN = `
local cur = redis.call('HMGET', KEYS[1], 'scope', 'reason', 'by', 'level', 'created', 'until', 'source')
if not cur[6] then return {} end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
local id = redis.call('INCR', KEYS[4])
local ban = {key = ARGV[1], scope = cur[1], reason = cur[2], by = cur[3], level = tonumber(cur[4]), createdAtMs = tonumber(cur[5]), untilMs = tonumber(cur[6]), source = cur[7]}
redis.call('ZADD', KEYS[3], id, cjson.encode({id = id, atMs = tonumber(ARGV[3]), action = 'remove', key = ARGV[1], actor = ARGV[2], ban = ban}))
return {cur[1], cur[2], cur[3], cur[4], cur[5], cur[6], cur[7], tostring(id)}
`;

/**
 * Purge of ended bans. KEYS[1] the index, KEYS[2] the audit log. ARGV: nowMs, key prefix of a ban's hash
 * (`…:ban:`), audit rows kept, most bans deleted in this call. Returns the keys deleted.
 */
export const PURGE_BANS = `
local ended = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[4]))
local gone = {}
for _, key in ipairs(ended) do
  local h = ARGV[2] .. key
  local u = redis.call('HGET', h, 'until')
  if (not u) or tonumber(u) <= tonumber(ARGV[1]) then
    redis.call('DEL', h)
    redis.call('ZREM', KEYS[1], key)
    gone[#gone + 1] = key
  end
end
redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[3]) + 1))
return gone
`;

/**
 * Raises the audit id counter (KEYS[1]) to at least ARGV[1]: after the server lost rows a node had read
 * (a replica promoted before it received them), new rows must not reuse those ids, or nodes that read
 * past them would skip the new rows. Returns the counter's value before.
 */
export const RAISE_SEQ = `
local cur = tonumber(redis.call('GET', KEYS[1]) or '0')
if cur < tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1]) end
return cur
`;
