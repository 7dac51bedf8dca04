-- Loaded by `wrk -s`: counts answers that are not 2xx, and prints the
-- run as one line of JSON (after the marker BENCH-JSON) for bench/run.py.

local threads = {}

function setup(thread)
   table.insert(threads, thread)
end

function init(args)
   non2xx = 0
end

function response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
end

function done(summary, latency, requests)
   local non2xx_total = 0
   for _, thread in ipairs(threads) do
      non2xx_total = non2xx_total + thread:get("non2xx")
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH-JSON {"requests": %d, "duration_us": %d, "bytes": %d, ' ..
      '"non2xx": %d, "connect_errors": %d, "read_errors": %d, ' ..
      '"write_errors": %d, "timeouts": %d, "p50_us": %d, ' ..
      '"p90_us": %d, "p99_us": %d, "max_us": %d}\n',
      summary.requests, summary.duration, summary.bytes, non2xx_total,
      e.connect, e.read, e.write, e.timeout,
      latency:percentile(50), latency:percentile(90),
      latency:percentile(99), latency.max))
end
