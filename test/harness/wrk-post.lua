-- wrk script (the benchmarks and the keep-alive load test): POSTs the AdmissionReview in $WH_BENCH_BODY to the URL's
-- path over keep-alive connections, and prints the figures as one JSON line
-- (latencies in microseconds) for bench/run.sh to collect.
local path = os.getenv("WH_BENCH_BODY")
local f = assert(io.open(path, "rb"), "WH_BENCH_BODY: cannot read " .. tostring(path))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WH_BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"latency_us":{"p50":%d,"p90":%d,"p99":%d,"p999":%d,"max":%d,"mean":%.1f}}\n',
    summary.requests, summary.duration, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency:percentile(99.9), latency.max, latency.mean))
end
