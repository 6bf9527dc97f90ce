-- wrk script for benchmarks/service_throughput.py: POST /v1/messages, one fresh mainland mobile
-- per request (each wrk thread its own range), the key from $SMSGATE_TOKEN. Non-2xx answers are
-- counted by wrk ("Non-2xx or 3xx responses") and the benchmark fails on any.
local counter = 0
local next_thread = 0
local token = os.getenv("SMSGATE_TOKEN")
local template = os.getenv("SMSGATE_TEMPLATE") or "SMS_154950909"
local first = tonumber(os.getenv("SMSGATE_FIRST_PHONE") or "0")

function setup(thread)
  thread:set("thread_number", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  counter = first + thread_number * 10000000
end

function request()
  counter = counter + 1
  local body = string.format('{"to":["137%08d"],"template":"%s","params":{"code":"1234"}}', counter, template)
  local headers = {["Authorization"] = "Bearer " .. token, ["Content-Type"] = "application/json"}
  return wrk.format("POST", "/v1/messages", headers, body)
end
