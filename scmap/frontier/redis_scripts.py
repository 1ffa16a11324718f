"""Lua scripts of the Redis frontier store: each public store step is one script, so it runs
atomically on the server (two nodes never claim the same pick; a step is all or nothing).

The rules are those of ordering.py / sqlite_store.py, re-stated in Lua (tests run the same
scenarios against both stores). Times come from the Redis server's clock (TIME), so nodes with
skewed clocks agree on leases.

Keys, under P = "{prefix}" (the braces keep one crawl in one Redis Cluster slot):
  P:next_order          counter of discovery order
  P:order               zset permalink -> discovery order
  P:rank                zset "%012d:permalink" (discovery order first) -> -score, so ZRANGE
                        gives score descending, ties to the earliest discovered
  P:followers           zset permalink -> followers_count (first value wins)
  P:user_id, P:skip     hashes permalink -> user id / skip reason
  P:spiders             set of spider names
  S = P:spider:NAME
  S:seq_of              hash permalink -> seq (this spider's picks)
  S:permalink, S:status hashes seq -> permalink / status
  S:owner, S:lease      hashes seq -> holder / lease end (in-flight picks only)
  S:in_flight           zset seq -> seq
  S:count               hash status -> picks that ended with it
  S:meta                hash: next_seq (picks so far), applied, cursor (phase-1 scan start),
                        cursor_min (min_followers the cursor was built with)
  S:edges               hash seq -> JSON [[dst, user_id, followers, interaction], ...] (not applied yet)
  S:finished            hash seq -> finish time of a done pick whose edges are not applied yet
  S:finished_at, S:by   hashes seq -> finish time / holder of every finished pick (progress)
  S:nodes, S:node_lease hashes owner -> window / lease end of the nodes taking this spider's picks
  S:visits              hash permalink -> JSON [status, finished_at, cutoff] (latest visit, refresh)
  S:caps                hash: bfs_accounts, max_accounts, min_followers of the latest start (progress;
                        written by redis_store.record_caps, one HSET)
  S:refresh             hash: number, started_at, older_than of the latest refresh round
  S:refresh_all         zset permalink -> position (pick seq) of every account of that round
  S:refresh_due, S:refresh_in_flight   zsets (same scores) of those still to hand out / in flight
  S:refresh_status      hash permalink -> due, in_flight, done, gone, failed
  S:refresh_owner       hash permalink -> holder (kept after the finish: who re-visited it)
  S:refresh_lease, S:refresh_finished_at  hashes permalink -> lease end (in flight) / finish time
"""

from __future__ import annotations

PRELUDE = r"""
local P = ARGV[1]
local function k(name) return P .. ':' .. name end
local function sk(spider, name) return P .. ':spider:' .. spider .. ':' .. name end
local null = cjson.null
local BATCH = 200

local function now()
  local t = redis.call('TIME')
  return tonumber(t[1]) + tonumber(t[2]) / 1000000
end

local function rank_member(permalink, order)
  return string.format('%012d', tonumber(order)) .. ':' .. permalink
end

local function discover(permalink)
  if redis.call('ZSCORE', k('order'), permalink) then return end
  local order = redis.call('INCR', k('next_order'))
  redis.call('ZADD', k('order'), order, permalink)
  redis.call('ZADD', k('rank'), 0, rank_member(permalink, order))
end

local function is_eligible(permalink, min_followers)
  local followers = redis.call('ZSCORE', k('followers'), permalink)
  return (not followers) or tonumber(followers) >= min_followers
end

local function set_followers_once(permalink, followers)
  local known = redis.call('ZSCORE', k('followers'), permalink)
  if known then return tonumber(known) end
  if followers ~= nil and followers ~= null then
    redis.call('ZADD', k('followers'), followers, permalink)
    return tonumber(followers)
  end
  return nil
end

local function set_user_id_once(permalink, user_id)
  if user_id ~= nil and user_id ~= null and user_id ~= '' then
    redis.call('HSETNX', k('user_id'), permalink, user_id)
  end
end

-- rows: {permalink, user_id, followers, score to add}; unknown accounts appended in row order;
-- first user id / followers count wins; the skip reason is set once.
local function record_followers(rows, min_followers)
  for _, row in ipairs(rows) do
    local permalink = row[1]
    discover(permalink)
    set_user_id_once(permalink, row[2])
    local followers = set_followers_once(permalink, row[3])
    if row[4] ~= 0 then
      local order = redis.call('ZSCORE', k('order'), permalink)
      redis.call('ZINCRBY', k('rank'), -row[4], rank_member(permalink, order))
    end
    if followers ~= nil and followers < min_followers then
      redis.call('HSETNX', k('skip'), permalink,
        'followers_count ' .. string.format('%d', followers) .. ' < ' .. string.format('%d', min_followers))
    end
  end
end

local function done_count(spider)
  return tonumber(redis.call('HGET', sk(spider, 'count'), 'done') or '0')
end

local function meta_number(spider, field)
  return tonumber(redis.call('HGET', sk(spider, 'meta'), field) or '0')
end

-- Best `n` candidates of `spider`: unpicked, eligible, in the phase's order. Phase 1 starts at
-- the cursor (every account before it is picked or under the threshold: both are final).
local function best_candidates(spider, phase, min_followers, n)
  local found = {}
  local seq_of = sk(spider, 'seq_of')
  if phase == 1 then
    local cursor = 0
    if redis.call('HGET', sk(spider, 'meta'), 'cursor_min') == tostring(min_followers) then
      cursor = meta_number(spider, 'cursor')
    end
    local contiguous, passed_up_to = true, nil
    while #found < n do
      local batch = redis.call('ZRANGEBYSCORE', k('order'), '(' .. cursor, '+inf', 'WITHSCORES', 'LIMIT', 0, BATCH)
      if #batch == 0 then break end
      for i = 1, #batch, 2 do
        local permalink, order = batch[i], batch[i + 1]
        cursor = order
        if redis.call('HEXISTS', seq_of, permalink) == 1 or not is_eligible(permalink, min_followers) then
          if contiguous then passed_up_to = order end
        else
          table.insert(found, {permalink, order})
          contiguous = false
          if #found >= n then break end
        end
      end
    end
    if passed_up_to then
      redis.call('HSET', sk(spider, 'meta'), 'cursor', passed_up_to, 'cursor_min', tostring(min_followers))
    end
  else
    local start = 0
    while #found < n do
      local batch = redis.call('ZRANGE', k('rank'), start, start + BATCH - 1, 'WITHSCORES')
      if #batch == 0 then break end
      for i = 1, #batch, 2 do
        local permalink = string.sub(batch[i], 14)
        if redis.call('HEXISTS', seq_of, permalink) == 0 and is_eligible(permalink, min_followers) then
          table.insert(found, {permalink, tostring(0 - tonumber(batch[i + 1])), tonumber(string.sub(batch[i], 1, 12))})
          if #found >= n then break end
        end
      end
      start = start + BATCH
    end
  end
  return found
end

local function decide(done, in_flight, bfs, max)
  if done >= max then return 'finished' end
  if done + in_flight >= max then return 'wait' end
  if done >= bfs then return 'phase_2' end
  if done + in_flight >= bfs then return 'wait' end
  return 'phase_1'
end

local function contribution(src, dst, interaction, weights)
  if src == dst then return 0 end
  return tonumber(weights[interaction] or 0)
end

-- Adds pick `seq`'s edges to discovery / followers / scores, once, in seq order.
-- False while that pick is still in flight.
local function apply_pick(spider, seq, weights, min_followers)
  local status = redis.call('HGET', sk(spider, 'status'), seq)
  if (not status) or status == 'in_flight' then return false end
  local encoded = redis.call('HGET', sk(spider, 'edges'), seq)
  if encoded then
    local src = redis.call('HGET', sk(spider, 'permalink'), seq)
    local rows, row_of = {}, {}
    for _, edge in ipairs(cjson.decode(encoded)) do
      local dst, user_id, followers, interaction = edge[1], edge[2], edge[3], edge[4]
      local row = row_of[dst]
      if row == nil then
        row = {dst, user_id, followers, 0}
        row_of[dst] = row
        table.insert(rows, row)
      elseif row[3] == null and followers ~= null then
        if row[2] == null then row[2] = user_id end
        row[3] = followers
      end
      row[4] = row[4] + contribution(src, dst, interaction, weights)
    end
    record_followers(rows, min_followers)
    redis.call('HDEL', sk(spider, 'edges'), seq)
  end
  redis.call('HDEL', sk(spider, 'finished'), seq)
  redis.call('HSET', sk(spider, 'meta'), 'applied', seq)
  return true
end

-- `owner` is a live node with its window; dead nodes are forgotten. Returns W, the live windows' sum.
local function register_node(spider, owner, window_size, t, lease_seconds, dead)
  redis.call('HSET', sk(spider, 'nodes'), owner, window_size)
  redis.call('HSET', sk(spider, 'node_lease'), owner, tostring(t + lease_seconds))
  local window = 0
  local nodes = redis.call('HGETALL', sk(spider, 'nodes'))
  for i = 1, #nodes, 2 do
    local node = nodes[i]
    local lease = tonumber(redis.call('HGET', sk(spider, 'node_lease'), node) or '0')
    if node ~= owner and (lease < t or dead[node]) then
      redis.call('HDEL', sk(spider, 'nodes'), node)
      redis.call('HDEL', sk(spider, 'node_lease'), node)
    else
      window = window + tonumber(nodes[i + 1])
    end
  end
  return window
end

-- The latest visit of an account: JSON [status, finished_at, cutoff]; cutoff '' keeps the stored one.
local function record_visit(spider, permalink, status, cutoff)
  local key = sk(spider, 'visits')
  if cutoff == '' then
    local old = redis.call('HGET', key, permalink)
    if old then cutoff = cjson.decode(old)[3] end
  end
  redis.call('HSET', key, permalink, cjson.encode({status, now(), cutoff}))
end

-- Finishes an in-flight pick; its seq, or nil if it was not in flight.
local function finish(spider, permalink, status)
  local seq = redis.call('HGET', sk(spider, 'seq_of'), permalink)
  if (not seq) or redis.call('HGET', sk(spider, 'status'), seq) ~= 'in_flight' then return nil end
  redis.call('HSET', sk(spider, 'status'), seq, status)
  redis.call('HSET', sk(spider, 'by'), seq, redis.call('HGET', sk(spider, 'owner'), seq) or '')
  redis.call('HSET', sk(spider, 'finished_at'), seq, tostring(now()))
  redis.call('HDEL', sk(spider, 'owner'), seq)
  redis.call('HDEL', sk(spider, 'lease'), seq)
  redis.call('ZREM', sk(spider, 'in_flight'), seq)
  redis.call('HINCRBY', sk(spider, 'count'), status, 1)
  return seq
end
"""

ADD_DISCOVERED = r"""
for i = 2, #ARGV do discover(ARGV[i]) end
return 1
"""

# ARGV: P, spider, owner, lease_seconds, bfs, max, min_followers, this node's window, weights JSON, dead holders JSON,
# call token. Returns {decision, permalink or false, seq or false, reclaimed 0/1}.
# The token makes a retried call (the client reconnected after the reply was lost) return the
# same account instead of claiming a second one nobody would crawl.
CLAIM_NEXT = r"""
local spider, owner, lease_seconds = ARGV[2], ARGV[3], tonumber(ARGV[4])
local bfs, max, min_followers, in_flight_rule = tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local weights = cjson.decode(ARGV[9])
local dead = {}
for _, holder in ipairs(cjson.decode(ARGV[10])) do dead[holder] = true end
local token_key = sk(spider, 'claim_token:' .. ARGV[11])
local answered = redis.call('GET', token_key)
if answered then return cjson.decode(answered) end
local function handed_out(answer)
  redis.call('SET', token_key, cjson.encode(answer), 'EX', 3600)
  return answer
end
redis.call('SADD', k('spiders'), spider)
local t = now()

local window = register_node(spider, owner, in_flight_rule, t, lease_seconds, dead)
local held = 0
for _, holder in ipairs(redis.call('HVALS', sk(spider, 'owner'))) do
  if holder == owner then held = held + 1 end
end
if held >= in_flight_rule then return {'wait', false, false, 0} end  -- this node's window is full

for _, seq in ipairs(redis.call('ZRANGE', sk(spider, 'in_flight'), 0, -1)) do
  local holder = redis.call('HGET', sk(spider, 'owner'), seq)
  if holder ~= owner then
    local lease = tonumber(redis.call('HGET', sk(spider, 'lease'), seq) or '0')
    if (not holder) or lease < t or dead[holder] then
      redis.call('HSET', sk(spider, 'owner'), seq, owner)
      redis.call('HSET', sk(spider, 'lease'), seq, tostring(t + lease_seconds))
      return handed_out({'wait', redis.call('HGET', sk(spider, 'permalink'), seq), tonumber(seq), 1})
    end
  end
end

local decision = decide(done_count(spider), redis.call('ZCARD', sk(spider, 'in_flight')), bfs, max)
local applied = meta_number(spider, 'applied')
if decision == 'finished' then
  -- Nothing in flight: the last visits' edges, held back by the lag, count now (final
  -- scores, and other spiders sharing the store see them).
  while apply_pick(spider, applied + 1, weights, min_followers) do applied = applied + 1 end
end
if decision == 'wait' or decision == 'finished' then return {decision, false, false, 0} end
local next_seq = meta_number(spider, 'next_seq') + 1
while applied < math.max(0, next_seq - window) do
  if not apply_pick(spider, applied + 1, weights, min_followers) then return {'wait', false, false, 0} end
  applied = applied + 1
end
local phase = 1
if decision == 'phase_2' then phase = 2 end
while true do
  local candidate = best_candidates(spider, phase, min_followers, 1)[1]
  if candidate then
    local permalink = candidate[1]
    redis.call('HSET', sk(spider, 'seq_of'), permalink, next_seq)
    redis.call('HSET', sk(spider, 'permalink'), next_seq, permalink)
    redis.call('HSET', sk(spider, 'status'), next_seq, 'in_flight')
    redis.call('HSET', sk(spider, 'owner'), next_seq, owner)
    redis.call('HSET', sk(spider, 'lease'), next_seq, tostring(t + lease_seconds))
    redis.call('ZADD', sk(spider, 'in_flight'), next_seq, next_seq)
    redis.call('HSET', sk(spider, 'meta'), 'next_seq', next_seq)
    return handed_out({decision, permalink, next_seq, 0})
  end
  if applied >= next_seq - 1 then return {'finished', false, false, 0} end
  if not apply_pick(spider, applied + 1, weights, min_followers) then return {'wait', false, false, 0} end
  applied = applied + 1
end
"""

# ARGV: P, spider, owner, lease_seconds (negative or zero: expire now). Returns how many.
RENEW_LEASES = r"""
local spider, owner = ARGV[2], ARGV[3]
local lease_until = now() + tonumber(ARGV[4])
if tonumber(ARGV[4]) == 0 then
  lease_until = 0
  redis.call('HDEL', sk(spider, 'nodes'), owner)  -- released: no longer a live node
  redis.call('HDEL', sk(spider, 'node_lease'), owner)
elseif redis.call('HEXISTS', sk(spider, 'nodes'), owner) == 1 then
  redis.call('HSET', sk(spider, 'node_lease'), owner, tostring(lease_until))
end
-- The owner's entries of one in-flight set (picks by seq, refresh visits by permalink).
local function renew(in_flight, owners, leases)
  local count = 0
  for _, member in ipairs(redis.call('ZRANGE', sk(spider, in_flight), 0, -1)) do
    if redis.call('HGET', sk(spider, owners), member) == owner then
      redis.call('HSET', sk(spider, leases), member, tostring(lease_until))
      count = count + 1
    end
  end
  return count
end
return renew('in_flight', 'owner', 'lease') + renew('refresh_in_flight', 'refresh_owner', 'refresh_lease')
"""

# ARGV: P, spider, permalink. An in-flight pick loses its holder and lease (CLAIM_NEXT hands out
# a holderless pick again first). Returns 1, or 0 if it was not in flight.
RELEASE_PICK = r"""
local spider, permalink = ARGV[2], ARGV[3]
local seq = redis.call('HGET', sk(spider, 'seq_of'), permalink)
if (not seq) or redis.call('HGET', sk(spider, 'status'), seq) ~= 'in_flight' then return 0 end
redis.call('HDEL', sk(spider, 'owner'), seq)
redis.call('HSET', sk(spider, 'lease'), seq, '0')
return 1
"""

# ARGV: P, spider, permalink, edges JSON (unique, list order), user_id or '', followers or '',
# cutoff or '' (the visit, recorded in the same step)
MARK_DONE = r"""
local spider, permalink = ARGV[2], ARGV[3]
local seq = finish(spider, permalink, 'done')
if not seq then return 0 end
redis.call('HSET', sk(spider, 'edges'), seq, ARGV[4])
redis.call('HSET', sk(spider, 'finished'), seq, tostring(now()))
set_user_id_once(permalink, ARGV[5])
if ARGV[6] ~= '' then set_followers_once(permalink, tonumber(ARGV[6])) end
record_visit(spider, permalink, 'done', ARGV[7])
return 1
"""

# ARGV: P, spider, permalink, followers or '', reason
MARK_SKIPPED = r"""
local spider, permalink = ARGV[2], ARGV[3]
if not finish(spider, permalink, 'skipped') then return 0 end
if ARGV[4] ~= '' then set_followers_once(permalink, tonumber(ARGV[4])) end
redis.call('HSET', k('skip'), permalink, ARGV[5])
return 1
"""

# ARGV: P, spider, permalink, status
MARK_FAILED = r"""
if not finish(ARGV[2], ARGV[3], ARGV[4]) then return 0 end
return 1
"""

# ARGV: P, spider, min_followers. Returns {counts by status JSON, discovered, below, picked eligible, applied, in_flight}
COUNTS = r"""
local spider, min_followers = ARGV[2], tonumber(ARGV[3])
local picked_eligible = 0
for _, permalink in ipairs(redis.call('HKEYS', sk(spider, 'seq_of'))) do
  if is_eligible(permalink, min_followers) then picked_eligible = picked_eligible + 1 end
end
return {
  cjson.encode(redis.call('HGETALL', sk(spider, 'count'))),
  redis.call('ZCARD', k('order')),
  redis.call('ZCOUNT', k('followers'), '-inf', '(' .. min_followers),
  picked_eligible,
  meta_number(spider, 'applied'),
  redis.call('ZCARD', sk(spider, 'in_flight')),
}
"""

# ARGV: P, spider, recent_seconds. Returns how many picks of the OTHER spiders under P may still
# add accounts: in flight with a live lease, or done recently with edges not applied yet.
IN_FLIGHT_ELSEWHERE = r"""
local spider, t = ARGV[2], now()
local recent = t - tonumber(ARGV[3])
local count = 0
for _, other in ipairs(redis.call('SMEMBERS', k('spiders'))) do
  if other ~= spider then
    for _, seq in ipairs(redis.call('ZRANGE', sk(other, 'in_flight'), 0, -1)) do
      if tonumber(redis.call('HGET', sk(other, 'lease'), seq) or '0') >= t then count = count + 1 end
    end
    local finished = redis.call('HGETALL', sk(other, 'finished'))
    for i = 2, #finished, 2 do
      if tonumber(finished[i]) >= recent then count = count + 1 end
    end
  end
end
return count
"""

# ARGV: P, spider, bfs, min_followers, n. Returns candidates {permalink, ...} in order.
TOP_OF_QUEUE = r"""
local spider = ARGV[2]
local phase = 1
if done_count(spider) >= tonumber(ARGV[3]) then phase = 2 end
local out = {}
for _, candidate in ipairs(best_candidates(spider, phase, tonumber(ARGV[4]), tonumber(ARGV[5]))) do
  table.insert(out, candidate[1])
end
return out
"""

# Refresh rounds (FrontierStore.begin_refresh ...): the S:refresh* keys of the module docstring.

# ARGV: P, spider, min_age_seconds. Returns {round number, joined 0/1}. A new round lists the
# accounts scmap.refresh.refresh_due names: picks `done` whose latest visit (else the pick's
# finish) is older than now - min_age, not gone; in pick order.
BEGIN_REFRESH = r"""
local spider = ARGV[2]
local function rk(name) return sk(spider, name) end
if redis.call('ZCARD', rk('refresh_due')) + redis.call('ZCARD', rk('refresh_in_flight')) > 0 then
  return {tonumber(redis.call('HGET', rk('refresh'), 'number')), 1}
end
for _, name in ipairs({'refresh_all', 'refresh_due', 'refresh_in_flight', 'refresh_status', 'refresh_owner',
                       'refresh_lease', 'refresh_finished_at'}) do
  redis.call('DEL', rk(name))
end
local t = now()
local older_than = t - tonumber(ARGV[3])
local number = redis.call('HINCRBY', rk('refresh'), 'number', 1)
redis.call('HSET', rk('refresh'), 'started_at', tostring(t), 'older_than', tostring(older_than))
local statuses = redis.call('HGETALL', rk('status'))
for i = 1, #statuses, 2 do
  local seq = statuses[i]
  if statuses[i + 1] == 'done' then
    local permalink = redis.call('HGET', rk('permalink'), seq)
    local last = redis.call('HGET', rk('finished_at'), seq)
    local gone = false
    local visit = redis.call('HGET', rk('visits'), permalink)
    if visit then
      local decoded = cjson.decode(visit)
      last, gone = decoded[2], decoded[1] == 'gone'
    end
    if (not gone) and ((not last) or tonumber(last) < older_than) then  -- no time: from before they were kept
      redis.call('ZADD', rk('refresh_all'), seq, permalink)
      redis.call('ZADD', rk('refresh_due'), seq, permalink)
      redis.call('HSET', rk('refresh_status'), permalink, 'due')
    end
  end
end
return {number, 0}
"""

# ARGV: P, spider, owner, lease_seconds, this node's window, dead holders JSON, call token.
# Returns {permalink or false, cutoff, reclaimed 0/1, complete 0/1}; the token as in CLAIM_NEXT.
CLAIM_REFRESH = r"""
local spider, owner, lease_seconds = ARGV[2], ARGV[3], tonumber(ARGV[4])
local function rk(name) return sk(spider, name) end
local dead = {}
for _, holder in ipairs(cjson.decode(ARGV[6])) do dead[holder] = true end
local token_key = rk('refresh_token:' .. ARGV[7])
local answered = redis.call('GET', token_key)
if answered then return cjson.decode(answered) end
local t = now()
register_node(spider, owner, tonumber(ARGV[5]), t, lease_seconds, dead)
local function hand_out(permalink, reclaimed)
  redis.call('ZREM', rk('refresh_due'), permalink)
  redis.call('ZADD', rk('refresh_in_flight'), redis.call('ZSCORE', rk('refresh_all'), permalink), permalink)
  redis.call('HSET', rk('refresh_status'), permalink, 'in_flight')
  redis.call('HSET', rk('refresh_owner'), permalink, owner)
  redis.call('HSET', rk('refresh_lease'), permalink, tostring(t + lease_seconds))
  local cutoff = ''
  local visit = redis.call('HGET', rk('visits'), permalink)
  if visit then cutoff = cjson.decode(visit)[3] end
  local answer = {permalink, cutoff, reclaimed, 0}
  redis.call('SET', token_key, cjson.encode(answer), 'EX', 3600)
  return answer
end
for _, permalink in ipairs(redis.call('ZRANGE', rk('refresh_in_flight'), 0, -1)) do
  local holder = redis.call('HGET', rk('refresh_owner'), permalink)
  if holder ~= owner then
    local lease = tonumber(redis.call('HGET', rk('refresh_lease'), permalink) or '0')
    if (not holder) or lease < t or dead[holder] then return hand_out(permalink, 1) end
  end
end
local next_due = redis.call('ZRANGE', rk('refresh_due'), 0, 0)[1]
if next_due then return hand_out(next_due, 0) end
local complete = 0
if redis.call('ZCARD', rk('refresh_in_flight')) == 0 then complete = 1 end
return {false, '', 0, complete}
"""

# ARGV: P, spider, permalink, status (done, gone, failed), cutoff. Returns 1, or 0 if not in flight.
FINISH_REFRESH = r"""
local spider, permalink, status = ARGV[2], ARGV[3], ARGV[4]
local function rk(name) return sk(spider, name) end
if redis.call('HGET', rk('refresh_status'), permalink) ~= 'in_flight' then return 0 end
redis.call('HSET', rk('refresh_status'), permalink, status)
redis.call('HSET', rk('refresh_finished_at'), permalink, tostring(now()))
redis.call('HDEL', rk('refresh_lease'), permalink)  -- the owner stays: who re-visited it
redis.call('ZREM', rk('refresh_in_flight'), permalink)
if status ~= 'failed' then record_visit(spider, permalink, status, ARGV[5]) end
return 1
"""

# ARGV: P, spider, permalink. Returns 1, or 0 if it was not in flight.
RELEASE_REFRESH = r"""
local spider, permalink = ARGV[2], ARGV[3]
if redis.call('HGET', sk(spider, 'refresh_status'), permalink) ~= 'in_flight' then return 0 end
redis.call('HDEL', sk(spider, 'refresh_owner'), permalink)
redis.call('HSET', sk(spider, 'refresh_lease'), permalink, '0')
return 1
"""


def script(body: str) -> str:
    return PRELUDE + body
