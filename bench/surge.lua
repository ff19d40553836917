-- wrk script: a surge on a petition as readers make it, 9 page views to 1 signature.
-- Arguments after "--": run, page path, sign path, cookie header, form body.
-- Each tenth request POSTs the sign form with a unique e-mail ("surge-<run>-<thread>-<n>");
-- the others GET the page. Counts the 302s of the signatures and the 200s of the pages
-- against anything else, for all threads.
local counter = 0
signed, viewed, other = 0, 0, 0  -- globals: done() reads them from each thread
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("tid", #threads)
end

function init(args)
  run, page, sign, cookie, form = args[1], args[2], args[3], args[4], args[5]
  get_headers = {["Cookie"] = cookie}
  post_headers = {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = cookie}
end

function request()
  counter = counter + 1
  if counter % 10 == 0 then
    local n = run .. "-" .. tid .. "-" .. counter
    return wrk.format("POST", sign, post_headers, form .. "&email=surge-" .. n .. "%40bench.example")
  end
  return wrk.format("GET", page, get_headers)
end

function response(status, hdrs, body)
  if status == 302 then signed = signed + 1
  elseif status == 200 then viewed = viewed + 1
  else other = other + 1 end
end

function done(summary, latency, requests)
  local s, v, o = 0, 0, 0
  for _, t in ipairs(threads) do
    s, v, o = s + t:get("signed"), v + t:get("viewed"), o + t:get("other")
  end
  io.write(string.format("STATUS302 %d\nSTATUSOTHER %d\nSTATUS200 %d\n", s, o, v))
end
