-- wrk script for `make soak`: a mix of the site's pages, and a count of
-- every status seen. done() prints one line, "soak-result {json}".

local mix = {
  {method = "GET", path = "/"},
  {method = "GET", path = "/auth/login"},
  {method = "GET", path = "/auth/register"},
  {method = "GET", path = "/auth/reset"},
  {method = "GET", path = "/secret"},                  -- 302 to login
  {method = "GET", path = "/auth/reset/not-a-token"},  -- 302, flashed
  {method = "GET", path = "/no-such-page"},            -- 404 page
  {method = "GET", path = "/static/vendor/bootstrap/css/bootstrap.min.css"},
  {method = "GET", path = "/flask-moment.js"},
  -- A registration without its CSRF token: the form, with errors, after
  -- the email and username have been looked up in the database.
  {method = "POST", path = "/auth/register",
   headers = {["Content-Type"] = "application/x-www-form-urlencoded"},
   body = "email=soak%40example.com&username=soak" ..
          "&password=x&password2=y"},
}

local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  counter = id
  statuses = {}
end

function request()
  counter = counter + 1
  local r = mix[(counter % #mix) + 1]
  return wrk.format(r.method, r.path, r.headers, r.body)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("statuses")) do
      total[status] = (total[status] or 0) + count
    end
  end
  local parts = {}
  for status, count in pairs(total) do
    table.insert(parts, string.format('"%d": %d', status, count))
  end
  local e = summary.errors
  io.write(string.format(
    'soak-result {"requests": %d, "seconds": %.3f, "connect": %d, ' ..
    '"read": %d, "write": %d, "timeout": %d, "status_errors": %d, ' ..
    '"latency_p50_ms": %.2f, "latency_p99_ms": %.2f, ' ..
    '"latency_max_ms": %.2f, "statuses": {%s}}\n',
    summary.requests, summary.duration / 1e6, e.connect, e.read, e.write,
    e.timeout, e.status, latency:percentile(50) / 1e3,
    latency:percentile(99) / 1e3, latency.max / 1e3,
    table.concat(parts, ", ")))
end
