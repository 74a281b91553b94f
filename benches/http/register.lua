-- wrk script: POST /v1/applications with bodies read from a file (one JSON body per line,
-- each a different child). Thread k of n sends lines k, k+n, k+2n, …; every request has its
-- own Idempotency-Key, as the portal sends. Arguments: <bodies file> <portal token>.
-- Prints one JSON line of results when done (read by run.py).

local threads = {}

function setup(thread)
  thread:set("index", #threads)
  threads[#threads + 1] = thread
end

local bodies, token, next_line, sent, run

function init(args)
  bodies = {}
  local n, i = tonumber(os.getenv("KEZEK_WRK_THREADS")), 0
  for line in io.lines(args[1]) do
    if i % n == index then
      bodies[#bodies + 1] = line
    end
    i = i + 1
  end
  token = args[2]
  next_line, sent = 1, 0
  -- Keys differ from run to run, so a second run against the same server is not a retry.
  run = os.getenv("KEZEK_WRK_RUN") or tostring(os.time())
end

function request()
  -- Past the end the bodies repeat: the server answers 409 and run.py counts it as a miss.
  local body = bodies[next_line]
  next_line = next_line % #bodies + 1
  sent = sent + 1
  return wrk.format("POST", "/v1/applications", {
    ["Authorization"] = "Bearer " .. token,
    ["Content-Type"] = "application/json",
    ["Idempotency-Key"] = "bench-" .. run .. "-" .. index .. "-" .. sent,
  }, body)
end

done = dofile(os.getenv("KEZEK_WRK_DONE"))
