-- wrk script: POST a form as a browser does (CSRF cookie + token), each request unique.
-- Arguments after "--": run, path, cookie header, form body, unique part.
-- In the unique part, {n} becomes "<run>-<thread>-<counter>" and {uuid} a UUID made of
-- the same three numbers (for a comment form's submission key).
-- Counts 302 (the success redirect) against anything else, for all threads.
local counter = 0
ok, other = 0, 0  -- globals: done() reads them from each thread with t:get()
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  run, path, cookie, form, unique = args[1], args[2], args[3], args[4], args[5] or ""
  headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie}
end

function request()
  counter = counter + 1
  local n = run .. "-" .. tid .. "-" .. counter
  local uuid = string.format("%08x-%04x-4000-8000-%012x", tonumber(run) % 4294967296, tid, counter)
  local extra = unique:gsub("{n}", n):gsub("{uuid}", uuid)
  return wrk.format("POST", path, headers, form .. extra)
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
