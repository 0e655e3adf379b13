/**
 * The Lua scripts of the Redis incident store (redis-incident-store.ts): each check-then-write runs
 * atomically on the server — one open incident per site, sequential ids per day, the timeline's
 * first-write-wins seconds and its cap, the incident count cap. JSON is encoded and validated by the
 * caller; scripts only store it (no cjson: it would turn `[]` into `{}`).
 *
 * Key names: ARGV carries the namespace prefix `P` (`bulwark:{ns}:`) for keys a script derives (an
 * evicted incident's keys); every key shares the namespace's hash tag, so a Cluster keeps them in one slot.
 * KEYS[1] is always the incident index `P..'incs'`: a script must name at least one key, because a Cluster
 * client sends a script without keys to any master, and every master but the one serving the namespace's
 * slot refuses it ("Script attempted to access a non local key").
 * `P..'inc:'..id` is an incident's hash, `..':tl'` its timeline hash (t → JSON row), `P..'incs'` the index
 * of all incidents by opening time, `P..'incs:site:'..site` the same per site, `P..'incs:closed'` and
 * `P..'incs:closed:'..site` closed incidents by closing time, `P..'incs:open'` site → open incident id,
 * `P..'incs:rows'` the total number of timeline rows.
 */

const DELETE_FN = `
local function deleteIncident(P, id)
  local h = P .. 'inc:' .. id
  local site = redis.call('HGET', h, 'site')
  local rows = tonumber(redis.call('HGET', h, 'tl_seconds') or '0')
  redis.call('DEL', h, h .. ':tl')
  redis.call('ZREM', P .. 'incs', id)
  redis.call('ZREM', P .. 'incs:closed', id)
  if site then
    redis.call('ZREM', P .. 'incs:site:' .. site, id)
    redis.call('ZREM', P .. 'incs:closed:' .. site, id)
    if redis.call('HGET', P .. 'incs:open', site) == id then redis.call('HDEL', P .. 'incs:open', site) end
  end
  redis.call('DECRBY', P .. 'incs:rows', rows)
end
`;

/**
 * Opens an incident. ARGV: P, site, explicit id or '', day prefix (`inc-YYYYMMDD-`), openedAtMs, peakLevel,
 * truncated (0/1), nowMs, maxIncidents. Returns the id, or an error reply `CONFLICT …`.
 */
export const OPEN_INCIDENT = `${DELETE_FN}
local P = ARGV[1]
local n = redis.call('ZCARD', P .. 'incs')
local max = tonumber(ARGV[9])
if n >= max then
  local victims = redis.call('ZRANGE', P .. 'incs:closed', 0, n - max)
  for _, v in ipairs(victims) do deleteIncident(P, v) end
end
if redis.call('HEXISTS', P .. 'incs:open', ARGV[2]) == 1 then
  return redis.error_reply('CONFLICT the site already has an open incident')
end
local id = ARGV[3]
if id == '' then
  local seqKey = P .. 'incs:seq:' .. ARGV[4]
  for _ = 1, 100 do
    local s = redis.call('INCR', seqKey)
    redis.call('PEXPIRE', seqKey, 8 * 86400000)
    if s <= 9999 then id = ARGV[4] .. string.format('%04d', s) else id = ARGV[4] .. '9999-' .. s end
    if redis.call('EXISTS', P .. 'inc:' .. id) == 0 then break end
  end
end
local h = P .. 'inc:' .. id
if redis.call('EXISTS', h) == 1 then return redis.error_reply('CONFLICT the id is taken') end
redis.call('HSET', h, 'id', id, 'site', ARGV[2], 'opened', ARGV[5], 'status', 'open', 'peak_level', ARGV[6], 'severity', 'low',
  'peak_rps', 0, 'total', 0, 'distinct', 0, 'summary', '{}', 'actions', '[]', 'visitors', '{}', 'tl_seconds', 0, 'tl_dropped', 0,
  'truncated', ARGV[7], 'updated', ARGV[8])
redis.call('ZADD', P .. 'incs', ARGV[5], id)
redis.call('ZADD', P .. 'incs:site:' .. ARGV[2], ARGV[5], id)
redis.call('HSET', P .. 'incs:open', ARGV[2], id)
return id
`;

/**
 * Sets fields. ARGV: P, id, nowMs, linkedTo check ('' none, else the id that must exist), then field/value
 * pairs; a value of the single byte \\0 deletes the field (JSON null for link_evidence, null linked_to…).
 * Returns 1, or an error reply `NOTFOUND` / `INVALID …`.
 */
export const UPDATE_INCIDENT = `
local h = ARGV[1] .. 'inc:' .. ARGV[2]
if redis.call('EXISTS', h) == 0 then return redis.error_reply('NOTFOUND') end
if ARGV[4] ~= '' and redis.call('EXISTS', ARGV[1] .. 'inc:' .. ARGV[4]) == 0 then
  return redis.error_reply('INVALID linkedTo does not exist')
end
for i = 5, #ARGV, 2 do
  if ARGV[i + 1] == '\\0' then redis.call('HDEL', h, ARGV[i]) else redis.call('HSET', h, ARGV[i], ARGV[i + 1]) end
end
redis.call('HSET', h, 'updated', ARGV[3])
return 1
`;

/**
 * Closes. ARGV: P, id, closedAtMs, reason, nowMs, linkedTo check, then field/value pairs as in update.
 * Returns 1, or `NOTFOUND` / `CONFLICT` / `INVALID …`.
 */
export const CLOSE_INCIDENT = `
local P = ARGV[1]
local h = P .. 'inc:' .. ARGV[2]
local cur = redis.call('HMGET', h, 'status', 'opened', 'site')
if not cur[1] then return redis.error_reply('NOTFOUND') end
if cur[1] ~= 'open' then return redis.error_reply('CONFLICT the incident is already closed') end
if tonumber(ARGV[3]) < tonumber(cur[2]) then return redis.error_reply('INVALID cannot close before it opened') end
if ARGV[6] ~= '' and redis.call('EXISTS', P .. 'inc:' .. ARGV[6]) == 0 then
  return redis.error_reply('INVALID linkedTo does not exist')
end
for i = 7, #ARGV, 2 do
  if ARGV[i + 1] == '\\0' then redis.call('HDEL', h, ARGV[i]) else redis.call('HSET', h, ARGV[i], ARGV[i + 1]) end
end
redis.call('HSET', h, 'status', 'closed', 'closed', ARGV[3], 'close_reason', ARGV[4], 'updated', ARGV[5])
if redis.call('HGET', P .. 'incs:open', cur[3]) == ARGV[2] then redis.call('HDEL', P .. 'incs:open', cur[3]) end
redis.call('ZADD', P .. 'incs:closed', ARGV[3], ARGV[2])
redis.call('ZADD', P .. 'incs:closed:' .. cur[3], ARGV[3], ARGV[2])
return 1
`;

/**
 * Appends timeline seconds. ARGV: P, id, maxSeconds, nowMs, then per row: t, requests, level rank (0..2),
 * level, row JSON. Returns {inserted, duplicates, dropped}, or `NOTFOUND` / `CONFLICT`.
 */
export const APPEND_SECONDS = `
local P = ARGV[1]
local h = P .. 'inc:' .. ARGV[2]
local cur = redis.call('HMGET', h, 'status', 'tl_seconds', 'peak_level', 'peak_rps', 'last_second')
if not cur[1] then return redis.error_reply('NOTFOUND') end
if cur[1] ~= 'open' then return redis.error_reply('CONFLICT the incident is closed; its timeline is final') end
local ranks = { normal = 0, elevated = 1, under_attack = 2 }
local room = tonumber(ARGV[3]) - tonumber(cur[2])
local inserted, dup, dropped, sum, peak, rank, level, lastT = 0, 0, 0, 0, 0, -1, nil, nil
for i = 5, #ARGV, 5 do
  if room <= 0 then
    dropped = dropped + 1
  elseif redis.call('HSETNX', h .. ':tl', ARGV[i], ARGV[i + 4]) == 0 then
    dup = dup + 1
  else
    room = room - 1
    inserted = inserted + 1
    local r = tonumber(ARGV[i + 1])
    sum = sum + r
    if r > peak then peak = r end
    local k = tonumber(ARGV[i + 2])
    if k > rank then rank = k; level = ARGV[i + 3] end
    local t = tonumber(ARGV[i])
    if lastT == nil or t > lastT then lastT = t end
  end
end
if inserted > 0 or dropped > 0 then
  redis.call('HINCRBY', h, 'tl_seconds', inserted)
  redis.call('HINCRBY', h, 'tl_dropped', dropped)
  redis.call('HINCRBYFLOAT', h, 'total', sum)
  if peak > tonumber(cur[4]) then redis.call('HSET', h, 'peak_rps', peak) end
  if level ~= nil and rank > ranks[cur[3]] then redis.call('HSET', h, 'peak_level', level) end
  if lastT ~= nil and (not cur[5] or lastT > tonumber(cur[5])) then redis.call('HSET', h, 'last_second', lastT) end
  redis.call('HSET', h, 'updated', ARGV[4])
  redis.call('INCRBY', P .. 'incs:rows', inserted)
end
return { inserted, dup, dropped }
`;

/** Deletes incidents closed before ARGV[2] (ARGV[1] = P), at most 1000 a call. Returns how many. */
export const DELETE_CLOSED = `${DELETE_FN}
local ids = redis.call('ZRANGEBYSCORE', ARGV[1] .. 'incs:closed', '-inf', '(' .. ARGV[2], 'LIMIT', 0, 1000)
for _, id in ipairs(ids) do deleteIncident(ARGV[1], id) end
return #ids
`;
