"""The Lua scripts of :class:`~smsgate.stores.redis.RedisStore`: every compound operation runs on
the server in one script, atomically, called by its SHA (loaded once per connection pool)."""

from __future__ import annotations

import hashlib

__all__ = ["SCRIPTS", "SHAS"]

# KEYS: the key. ARGV: value, ttl in ms (0: none). Returns nil when stored, else the value there.
_ADD = """
local existing = redis.call('GET', KEYS[1])
if existing then return existing end
if tonumber(ARGV[2]) > 0 then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
else redis.call('SET', KEYS[1], ARGV[1]) end
return false
"""

# KEYS: the counter. ARGV: amount, ttl in ms (0: none). TTL only when created: fixed windows.
_INCR = """
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if value == tonumber(ARGV[1]) and tonumber(ARGV[2]) > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
"""

# KEYS: counters. ARGV: limit1, ttl1_ms, limit2, ttl2_ms... Returns -1 when counted, else the full index.
_HIT = """
for i, key in ipairs(KEYS) do
  local count = tonumber(redis.call('GET', key) or '0')
  if count >= tonumber(ARGV[2 * i - 1]) then return i - 1 end
end
for i, key in ipairs(KEYS) do
  if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[2 * i]) end
end
return -1
"""

# reserve(key, interval, burst, max_wait, now): takes one token; its wait as a string, or false.
_RESERVE_FN = """
local function reserve(key, interval, burst, max_wait, now)
  interval, burst, max_wait, now = tonumber(interval), tonumber(burst), tonumber(max_wait), tonumber(now)
  local tat = tonumber(redis.call('GET', key) or '0')
  if tat < now then tat = now end
  local new_tat = tat + interval
  local wait = new_tat - burst * interval - now
  if wait < 0 then wait = 0 end
  if wait > max_wait then return false end
  local ttl = math.ceil((math.max(new_tat - now, interval) + 1) * 1000)
  redis.call('SET', key, string.format('%.6f', new_tat), 'PX', string.format('%d', ttl))
  return string.format('%.6f', wait)
end
"""

# KEYS: the bucket. ARGV: interval, burst, max_wait, now.
_RESERVE = _RESERVE_FN + "return reserve(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4])\n"

# admit(p, i, later): keys under the prefix p; from ARGV[i]: the number of blocked keys, those keys,
# the claim key ('' for none), its value and ttl ms, the number of windows, then key, limit and ttl
# ms per window. Returns the refusal ({1, index} blocked, {2, existing} claimed, {3, index} full:
# nothing changed) or false, and the index after its arguments. ``later``: the caller sets the claim
# (renewed in the same script). A key a command each, as measured cheaper than one MGET into a
# table: the tables a script builds cost Redis's Lua more than the calls they save.
_ADMIT_FN = """
local function admit(p, i, later)
  local n = tonumber(ARGV[i])
  for j = 1, n do
    if redis.call('EXISTS', p .. ARGV[i + j]) == 1 then return {1, j - 1}, 0 end
  end
  i = i + n + 1
  local claim = ARGV[i]
  if claim ~= '' then
    local existing = redis.call('GET', p .. claim)
    if existing then return {2, existing}, 0 end
  end
  local first, last = i + 4, i + 3 + 3 * tonumber(ARGV[i + 3])
  for j = first, last, 3 do
    if tonumber(redis.call('GET', p .. ARGV[j]) or '0') >= tonumber(ARGV[j + 1]) then return {3, (j - first) / 3}, 0 end
  end
  if claim ~= '' and not later then redis.call('SET', p .. claim, ARGV[i + 1], 'PX', ARGV[i + 2]) end
  for j = first, last, 3 do
    local key = p .. ARGV[j]
    if redis.call('INCR', key) == 1 then redis.call('PEXPIRE', key, ARGV[j + 2]) end
  end
  return false, last + 1
end
"""

# ARGV: prefix, then admit's. Returns {0} when admitted, else the refusal.
_ADMIT = _ADMIT_FN + "return admit(ARGV[1], 2, false) or {0}\n"

# put(p, ttl, i): the records from ARGV[i] to the end, keys under the prefix p, kept ttl ms ('0': for
# ever; the string as it came: a Lua number handed to redis.call costs Redis a printf). Per record:
# id, kind, message id, created_at, json, n phones, phones..., n refs, refs ("provider|id")... A
# record replaced with the same created_at keeps its index entries. A message's
# phones are indexed once (phone -> message id), by its first record; attempts are indexed by the
# provider's message ids. keep(p, i): when ARGV[i] is '1', sets ARGV[i + 1] to ARGV[i + 2], expiring
# after ARGV[i + 3] ms (0: never).
_PUT_FN = """
local function put(p, ttl, i)
  local made = {}
  while i <= #ARGV do
    local id, kind, mid, at, json = ARGV[i], ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
    local key, n = p .. 'log:r:' .. id, tonumber(ARGV[i + 5])
    local old
    if ttl ~= '0' then old = redis.call('SET', key, json, 'PX', ttl, 'GET')
    else old = redis.call('SET', key, json, 'GET') end
    local moved = true  -- unless the replaced record has the same created_at, found by a plain search
    if old then  -- (its JSON's keys come in order); the same text, or else the same number
      local at_key = string.find(old, '"created_at":', 1, true)
      if at_key then
        local was = string.sub(old, at_key + 13, (string.find(old, ',', at_key + 13, true) or 0) - 1)
        moved = was ~= at and tonumber(was) ~= tonumber(at)
      end
    end
    if moved then
      redis.call('ZADD', p .. 'log:all', at, id)
      redis.call('ZADD', p .. 'log:m:' .. mid, at, id)
    end
    if not old and (kind ~= 'attempt' or not (made[mid] or redis.call('EXISTS', p .. 'log:r:' .. mid) == 1)) then
      for j = i + 6, i + 5 + n do redis.call('ZADD', p .. 'log:p:' .. ARGV[j], 'NX', at, mid) end
    end
    made[id] = true
    i = i + 6 + n
    for j = i + 1, i + tonumber(ARGV[i]) do
      local refs = p .. 'log:f:' .. ARGV[j]
      redis.call('SADD', refs, id)
      if ttl ~= '0' then redis.call('PEXPIRE', refs, ttl) end
    end
    i = i + 1 + tonumber(ARGV[i])
  end
end

local function keep(p, i)
  if ARGV[i] ~= '1' then return end
  if tonumber(ARGV[i + 3]) > 0 then redis.call('SET', p .. ARGV[i + 1], ARGV[i + 2], 'PX', ARGV[i + 3])
  else redis.call('SET', p .. ARGV[i + 1], ARGV[i + 2]) end
end
"""

# KEYS: none (built from the prefix: one compact payload instead of a dozen keys a record). ARGV:
# prefix, ttl ms (0: none), keep's four, forget ('1' or '') and its key, then put's records. The
# records first, then the kept key, then the forgotten one.
_WRITE = (
    _PUT_FN
    + """
put(ARGV[1], ARGV[2], 9)
keep(ARGV[1], 3)
if ARGV[7] == '1' then redis.call('DEL', ARGV[1] .. ARGV[8]) end
return 1
"""
)

# Store.start in one call. ARGV: prefix, ttl ms, keep's four, admit's, the number of tokens, then
# key, interval, burst, max_wait and now per token, then put's records. Returns the refusal, or {0,
# written (1 or 0), each token's wait or false}: the records and the kept key are written only when
# every token was granted; a refused token leaves the admission and the other tokens counted.
_START = (
    _ADMIT_FN
    + _RESERVE_FN
    + _PUT_FN
    + """
local p, claim = ARGV[1], 8 + tonumber(ARGV[7])
local renewed = ARGV[3] == '1' and ARGV[claim] ~= '' and ARGV[claim] == ARGV[4]  -- the claim set once
local refusal, i = admit(p, 7, renewed)
if refusal then return refusal end
local out, last = {0, 1}, i + 5 * tonumber(ARGV[i])
for j = i + 1, last, 5 do
  local wait = reserve(p .. ARGV[j], ARGV[j + 1], ARGV[j + 2], ARGV[j + 3], ARGV[j + 4])
  if not wait then out[2] = 0 end
  out[#out + 1] = wait
end
if out[2] == 1 then
  put(p, ARGV[2], last + 1)
  keep(p, 3)
elseif renewed then
  redis.call('SET', p .. ARGV[claim], ARGV[claim + 1], 'PX', ARGV[claim + 2])
end
return out
"""
)

# KEYS: none (built from the prefix). ARGV: prefix, then 'i' and an index (time or message), 'p' and a
# phone, or 'f' and a provider reference ("provider|id"), then low, high (for 'i' and 'p'). Returns
# each record found and, after each, its deliveries (HGETALL's list) for a message record, else
# false: the index, the records and the deliveries in one round trip.
_READ = """
local p, low, high = ARGV[1], ARGV[4], ARGV[5]
local ids = {}
if ARGV[2] == 'i' then
  ids = redis.call('ZRANGEBYSCORE', p .. ARGV[3], low, high)
elseif ARGV[2] == 'f' then
  ids = redis.call('SMEMBERS', p .. 'log:f:' .. ARGV[3])
else
  for _, mid in ipairs(redis.call('ZRANGEBYSCORE', p .. 'log:p:' .. ARGV[3], '-inf', high)) do
    for _, id in ipairs(redis.call('ZRANGEBYSCORE', p .. 'log:m:' .. mid, low, high)) do ids[#ids + 1] = id end
  end
end
local out = {}
for _, id in ipairs(ids) do
  local record = redis.call('GET', p .. 'log:r:' .. id)
  if record then
    out[#out + 1] = record
    if string.find(record, '"kind":"message"', 1, true) then
      out[#out + 1] = redis.call('HGETALL', p .. 'log:d:' .. id)
    else
      out[#out + 1] = false
    end
  end
end
return out
"""

# KEYS: none (built from the prefix). ARGV: prefix, an index, its last rank (-1: all), the items'
# key prefix, 'h' (a report: HMGET of its data and message id) or 'g' (an inbound message: GET).
# Returns the items of the index, newest first, in one round trip.
_NEWEST = """
local p, out = ARGV[1], {}
for _, member in ipairs(redis.call('ZREVRANGE', p .. ARGV[2], 0, tonumber(ARGV[3]))) do
  local key = p .. ARGV[4] .. member
  if ARGV[5] == 'h' then out[#out + 1] = redis.call('HMGET', key, 'd', 'm')
  else out[#out + 1] = redis.call('GET', key) end
end
return out
"""

# KEYS: the report, seq counter, all-index, phone index, message index, the message's deliveries.
# ARGV: report key, json, message id ('' when unmatched), phone, status, ttl_ms. 0 for a duplicate.
_REPORT = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
local ttl = tonumber(ARGV[6])
redis.call('HSET', KEYS[1], 'd', ARGV[2], 'm', ARGV[3])
if ttl > 0 then redis.call('PEXPIRE', KEYS[1], ARGV[6]) end
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
redis.call('ZADD', KEYS[4], seq, ARGV[1])
if ARGV[3] ~= '' then
  redis.call('ZADD', KEYS[5], seq, ARGV[1])
  redis.call('HSET', KEYS[6], ARGV[4], ARGV[5])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[6], ARGV[6]) end
end
return 1
"""

# KEYS: the message, seq counter, all-index, sender index. ARGV: member, json, ttl_ms. 0 for a duplicate.
_INBOUND = """
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
if tonumber(ARGV[3]) > 0 then redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[3])
else redis.call('SET', KEYS[1], ARGV[2]) end
local seq = redis.call('INCR', KEYS[2])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
redis.call('ZADD', KEYS[4], seq, ARGV[1])
return 1
"""


SCRIPTS = {
    "add": _ADD,
    "incr": _INCR,
    "hit": _HIT,
    "reserve": _RESERVE,
    "write": _WRITE,
    "read": _READ,
    "newest": _NEWEST,
    "admit": _ADMIT,
    "report": _REPORT,
    "inbound": _INBOUND,
    "start": _START,
}

SHAS = {name: hashlib.sha1(source.encode()).hexdigest() for name, source in SCRIPTS.items()}
"""Each script's SHA1, as ``EVALSHA`` names it."""
