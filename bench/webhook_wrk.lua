-- Notification throughput with wrk: every request POSTs a distinct,
-- pre-signed notification (a replayed jti would be refused with 409).
--
--   build/bench/webhook_bench tokens --secret "$SECRET" --count 100000 > tokens.txt
--   wrk -t2 -c64 -d10s -s bench/webhook_wrk.lua http://127.0.0.1:8080 -- tokens.txt 2
--
-- Arguments after `--`: the token file and the number of wrk threads (-t),
-- so each thread takes its own share of the tokens. wrk reports the 409s of
-- a thread that ran out of tokens as "Non-2xx or 3xx responses".

local next_id = 0

function setup(thread)
   thread:set("id", next_id)
   next_id = next_id + 1
end

function init(args)
   local path = args[1] or "tokens.txt"
   local nthreads = tonumber(args[2]) or 1
   tokens = {}
   local i = 0
   for line in io.lines(path) do
      if i % nthreads == id then
         tokens[#tokens + 1] = line
      end
      i = i + 1
   end
   counter = 0
end

function request()
   counter = counter + 1
   local t = tokens[((counter - 1) % #tokens) + 1]
   return wrk.format("POST", "/webhooks/sheets", {["Content-Type"] = "application/jwt"}, t)
end
