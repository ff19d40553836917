-- wrk script: members commenting on one story, each as their browser does (their own
-- session and CSRF cookies, and the form token that goes with them), the next member on
-- each request.
-- Arguments after "--": run, path, form body (without token and key), then one
-- "<cookie header>|<form token>" per member.
-- Each form gets its member's token and a unique submission key (a UUID made of the run,
-- the thread and its counter). The two threads bench/run.py runs start half the members
-- apart, so the requests in flight at any moment come from different members.
-- Counts 302 (the success redirect) against anything else, for all threads.
local counter = 0
ok, other = 0, 0  -- globals: done() reads them from each thread with t:get()
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  run, path, form = args[1], args[2], args[3]
  members = {}
  for i = 4, #args do
    local cookie, token = args[i]:match("^(.*)|([^|]*)$")
    table.insert(members, {
      headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie},
      token = token,
    })
  end
  offset = (tid - 1) * math.floor(#members / 2)
end

function request()
  counter = counter + 1
  local member = members[(counter + offset) % #members + 1]
  local uuid = string.format("%08x-%04x-4000-8000-%012x", tonumber(run) % 4294967296, tid, counter)
  local body = "csrfmiddlewaretoken=" .. member.token .. "&" .. form .. "&submission_key=" .. uuid
  return wrk.format("POST", path, member.headers, body)
end

function response(status, hdrs, body)
  if status == 302 then ok = ok + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local total_ok, total_other = 0, 0
  for _, t in ipairs(threads) do
    total_ok = total_ok + t:get("ok")
    total_other = total_other + t:get("other")
  end
  io.write(string.format("STATUS302 %d\nSTATUSOTHER %d\n", total_ok, total_other))
end
