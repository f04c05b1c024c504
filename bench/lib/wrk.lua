-- wrk script of the bench. Configured through the environment:
--   BENCH_METHOD, BENCH_BODY, BENCH_CONTENT_TYPE  request shape
--   BENCH_TOKEN         one bearer token on every request (wrk's static fast path)
--   BENCH_TOKENS_FILE   one token a line: requests go round-robin over them
-- done() prints one JSON line that lib/load.mjs reads.
local method = os.getenv("BENCH_METHOD") or "GET"
local body = os.getenv("BENCH_BODY")
local ctype = os.getenv("BENCH_CONTENT_TYPE")
local token = os.getenv("BENCH_TOKEN")
local file = os.getenv("BENCH_TOKENS_FILE")

wrk.method = method
if body and body ~= "" then wrk.body = body end
if ctype and ctype ~= "" then wrk.headers["Content-Type"] = ctype end
if token and token ~= "" then wrk.headers["Authorization"] = "Bearer " .. token end

if file and file ~= "" then
  local requests = {}
  local n = 0
  local i = 0
  init = function(args)
    for line in io.lines(file) do
      if line ~= "" then
        n = n + 1
        local headers = {}
        for k, v in pairs(wrk.headers) do headers[k] = v end
        headers["Authorization"] = "Bearer " .. line
        requests[n] = wrk.format(nil, nil, headers, nil)
      end
    end
  end
  request = function()
    i = i + 1
    if i > n then i = 1 end
    return requests[i]
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"durationUs":%d,"bytes":%d,"p50Us":%d,"p90Us":%d,"p99Us":%d,"maxUs":%d,"meanUs":%.1f,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d}}\n',
    summary.requests, summary.duration, summary.bytes,
    latency:percentile(50.0), latency:percentile(90.0), latency:percentile(99.0), latency.max, latency.mean,
    e.connect, e.read, e.write, e.timeout, e.status))
end
