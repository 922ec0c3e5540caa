#!/usr/bin/env bash
# A newcomer's first minute, as CI runs it: clone the repository afresh, run the README's start
# command, and register, log in and query `me` through the router over HTTP.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT

git clone --quiet "$root" "$work/chatgraph"
cd "$work/chatgraph"
port=$(( 20000 + RANDOM % 20000 ))
ROUTER_PORT=$port ./chatgraph start >"$work/start.log" 2>&1 &
pid=$!

url="http://127.0.0.1:$port"
for _ in $(seq 1 240); do
  if curl -fsS "$url/readyz" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$pid" 2>/dev/null; then cat "$work/start.log"; echo "start command exited" >&2; exit 1; fi
  sleep 0.5
done
curl -fsS "$url/readyz" >/dev/null || { tail -50 "$work/start.log"; echo "router never became ready" >&2; exit 1; }

source scripts/toolchain.sh
node scripts/smoke.mjs "$url/graphql"

kill -TERM "$pid"
wait "$pid" || true
# Stopping the start command stops the stack: nothing may keep serving (or hold the data directory).
if curl -fsS "$url/readyz" >/dev/null 2>&1; then echo "the stack kept running after its start command was stopped" >&2; exit 1; fi
grep -q "ChatGraph is up" "$work/start.log" || { cat "$work/start.log"; echo "start did not print the URL" >&2; exit 1; }
test -d .data || { echo "no data directory was written" >&2; exit 1; }
echo "newcomer check passed"
