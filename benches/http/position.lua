-- wrk script: GET /v1/applications/{id}/position for application ids drawn at random from
-- a file (one id per line). Arguments: <ids file> <portal token>.
-- Prints one JSON line of results when done (read by run.py).

local ids, token

function init(args)
  ids = {}
  for line in io.lines(args[1]) do
    ids[#ids + 1] = line
  end
  token = args[2]
  math.randomseed(os.time() + #ids)
end

function request()
  local id = ids[math.random(#ids)]
  return wrk.format("GET", "/v1/applications/" .. id .. "/position",
    { ["Authorization"] = "Bearer " .. token })
end

done = dofile(os.getenv("KEZEK_WRK_DONE"))
