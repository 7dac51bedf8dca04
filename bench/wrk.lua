-- Loaded by `wrk -t 1 -s bench/wrk.lua URL PATH...`: requests the PATHs
-- in turn, counts each status, and prints the run as one line of JSON.

function setup(t)
   thread = t  -- the only one: bench/__main__.py runs wrk -t 1
end

function init(args)
   paths, sent, statuses = args, 0, {}
end

function request()
   sent = sent + 1
   return wrk.format(nil, paths[(sent - 1) % #paths + 1])
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts = {}
   for status, n in pairs(thread:get("statuses")) do
      table.insert(counts, string.format('"%d": %d', status, n))
   end
   local e = summary.errors
   io.write(string.format(
      '{"requests": %d, "seconds": %.3f, "socket_errors": %d, ' ..
      '"p50_ms": %.2f, "p99_ms": %.2f, "statuses": {%s}}\n',
      summary.requests, summary.duration / 1e6,
      e.connect + e.read + e.write + e.timeout,
      latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
      table.concat(counts, ", ")))
end
