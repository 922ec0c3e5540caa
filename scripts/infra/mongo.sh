#!/usr/bin/env bash
# MongoDB-compatible server for dev/CI: FerretDB v1.24.2 (embedded SQLite backend) built from our
# tiny Go module scripts/infra/ferretdb/, listening on 127.0.0.1:$MONGO_PORT.
#
#   scripts/infra/mongo.sh up       build if needed, start, wait for a wire-protocol ping
#   scripts/infra/mongo.sh down     SIGTERM, wait for exit (no-op when not running)
#   scripts/infra/mongo.sh status   exit 0 when up and answering ping, 1 otherwise
#   scripts/infra/mongo.sh build    only build the binary (skipped when up to date)
#   scripts/infra/mongo.sh url      print the connection string
#
# Env: MONGO_PORT (27027), CHATGRAPH_INFRA_DIR (<repo>/.infra), MONGO_START_TIMEOUT (60 s),
# MONGO_LOG_LEVEL (error; warn logs every failed/unsupported command).
# State: <infra>/bin/ferretdb-chatgraph, <infra>/mongo/data (SQLite files), <infra>/logs/mongo.log,
# <infra>/run/mongo.pid. Go's own caches (GOMODCACHE, GOCACHE) stay where `go env` says.
set -euo pipefail

# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
INFRA_NAME=mongo

ROOT="$INFRA_REPO_ROOT"
INFRA="$INFRA_DIR"
MONGO_PORT="${MONGO_PORT:-27027}"
START_TIMEOUT="${MONGO_START_TIMEOUT:-60}"
SRC="$INFRA_LIB_DIR/ferretdb"
BIN="$INFRA/bin/ferretdb-chatgraph"
DATA="$INFRA/mongo/data"
LOG="$INFRA/logs/mongo.log"
PIDFILE="$INFRA/run/mongo.pid"
URL="mongodb://127.0.0.1:$MONGO_PORT/"

# This script's own message prefix ("mongo: ..."); waits, pid files and log tails come from lib.sh.
say() { echo "mongo: $*" >&2; }
die() { echo "mongo: ERROR: $*" >&2; exit 1; }
# pid from the pid file, only if that process is still our binary (pids get reused)
our_pid() { infra_running "$PIDFILE" 'ferretdb-chatgraph'; }
# the port our running instance listens on (from its command line)
pid_port() { tr '\0' '\n' <"/proc/$1/cmdline" 2>/dev/null | sed -n 's/^127\.0\.0\.1:\([0-9]*\)$/\1/p' | head -1; }
last_log() { infra_tail_log "$LOG" 15; }

# Wire-protocol ping: the workspace's mongodb driver (through mongoose) when installed, else a
# hand-built OP_MSG {ping: 1} over a raw socket (so `up` works before `pnpm install`).
# Prints the server version on success.
ping_server() {
  local kit="$ROOT/subgraphs/kit/package.json"
  # shellcheck source=scripts/toolchain.sh
  command -v node >/dev/null || source "$ROOT/scripts/toolchain.sh" >/dev/null 2>&1
  KIT_PKG="$kit" PORT="$MONGO_PORT" timeout 20 node - <<'JS'
const { createRequire } = require('node:module');
const port = Number(process.env.PORT);
const fail = (e) => { console.error(String(e && e.message || e)); process.exit(1); };
let mongodb = null;
try { const r = createRequire(process.env.KIT_PKG); mongodb = createRequire(r.resolve('mongoose'))('mongodb'); } catch {}
if (mongodb) {
  const c = new mongodb.MongoClient(`mongodb://127.0.0.1:${port}/`, { serverSelectionTimeoutMS: 3000, directConnection: true });
  c.connect().then(async () => {
    const p = await c.db('admin').admin().ping();
    const b = await c.db('admin').admin().buildInfo();
    await c.close();
    if (p.ok !== 1) fail('ping not ok');
    console.log(`${b.version} (driver ping)`);
  }).catch(fail);
} else {
  // BSON {ping: int32 1, $db: "admin"} inside an OP_MSG (opCode 2013), section kind 0
  const cstr = (s) => Buffer.concat([Buffer.from(s), Buffer.from([0])]);
  const i32 = (n) => { const b = Buffer.alloc(4); b.writeInt32LE(n); return b; };
  const body = Buffer.concat([Buffer.from([0x10]), cstr('ping'), i32(1),
    Buffer.from([0x02]), cstr('$db'), i32(6), cstr('admin'), Buffer.from([0])]);
  const doc = Buffer.concat([i32(body.length + 4), body]);
  const payload = Buffer.concat([i32(0), Buffer.from([0]), doc]);
  const msg = Buffer.concat([i32(16 + payload.length), i32(1), i32(0), i32(2013), payload]);
  const s = require('node:net').connect(port, '127.0.0.1', () => s.write(msg));
  let buf = Buffer.alloc(0);
  s.setTimeout(5000, () => fail('timeout'));
  s.on('error', fail);
  s.on('data', (d) => {
    buf = Buffer.concat([buf, d]);
    if (buf.length < 4 || buf.length < buf.readInt32LE(0)) return;
    s.end();
    // header 16 + flags 4 + kind 1, then the reply document: look for ok == 1 (double/int32)
    const r = buf.subarray(21); let i = 4;
    while (i < r.length - 1) {
      const t = r[i++]; const e = r.indexOf(0, i); const name = r.toString('utf8', i, e); i = e + 1;
      if (name === 'ok') { const v = t === 1 ? r.readDoubleLE(i) : t === 0x10 ? r.readInt32LE(i) : NaN;
        if (v === 1) { console.log('(raw OP_MSG ping)'); process.exit(0); } fail('ok=' + v); }
      const size = { 1: 8, 0x10: 4, 0x12: 8, 0x09: 8, 0x11: 8, 0x08: 1, 0x0a: 0, 0x07: 12, 0x13: 16 }[t];
      if (size !== undefined) i += size; else if (t === 2) i += 4 + r.readInt32LE(i);
      else if (t === 3 || t === 4) i += r.readInt32LE(i); else if (t === 5) i += 5 + r.readInt32LE(i); else fail('bson type ' + t);
    }
    fail('no ok field in reply');
  });
}
JS
}

build() {
  command -v go >/dev/null || { [ -x /usr/local/go/bin/go ] && PATH="$PATH:/usr/local/go/bin"; }
  command -v go >/dev/null || die "go is not on PATH (the Go toolchain, >= 1.24, builds FerretDB)"
  mkdir -p "$INFRA/bin"
  if [ -x "$BIN" ] && [ "$BIN" -nt "$SRC/main.go" ] && [ "$BIN" -nt "$SRC/go.sum" ] && [ "$BIN" -nt "$SRC/go.mod" ]; then
    return 0
  fi
  say "building FerretDB ($(cd "$SRC" && go list -m -f '{{.Version}}' github.com/FerretDB/FerretDB 2>/dev/null || echo v1.24.2)) -> $BIN"
  local t0=$SECONDS
  # -mod=readonly: go.sum is committed; a build never rewrites it.
  (cd "$SRC" && GOFLAGS="${GOFLAGS:-} -mod=readonly" go build -trimpath -ldflags='-s -w' -o "$BIN.tmp" .) \
    || die "go build failed in $SRC"
  mv -f "$BIN.tmp" "$BIN"
  say "built in $((SECONDS - t0))s ($(du -h "$BIN" | cut -f1))"
}

status() {
  local pid ver
  if pid="$(our_pid)" && [ "$(pid_port "$pid")" = "$MONGO_PORT" ] && ver="$(ping_server 2>/dev/null)"; then
    say "up: FerretDB $ver on $URL (pid $pid)"
    return 0
  fi
  if pid="$(our_pid)"; then say "process $pid (port $(pid_port "$pid")) running but not answering ping on 127.0.0.1:$MONGO_PORT"
  else say "down (port $MONGO_PORT)"; fi
  return 1
}

up() {
  local pid t0 err="" p
  if pid="$(our_pid)"; then
    p="$(pid_port "$pid")"
    [ "$p" = "$MONGO_PORT" ] || \
      die "this infra dir's FerretDB (pid $pid) is running on port ${p:-?}, not $MONGO_PORT: run 'MONGO_PORT=$p $0 down' first, or use another CHATGRAPH_INFRA_DIR"
    if ping_server >/dev/null 2>&1; then say "already up on $URL (pid $pid)"; return 0; fi
  fi
  build
  if ! pid="$(our_pid)"; then
    if infra_port_open "$MONGO_PORT"; then
      die "127.0.0.1:$MONGO_PORT is already taken by another process (set MONGO_PORT): $(ss -ltnpH "sport = :$MONGO_PORT" 2>/dev/null | head -1)"
    fi
    mkdir -p "$DATA" "$(dirname "$LOG")" "$(dirname "$PIDFILE")"
    echo "=== $(date -u +%FT%TZ) start on 127.0.0.1:$MONGO_PORT" >>"$LOG"
    # setsid + nohup: survives the calling shell; stdin closed so CI's pipes are not held open
    setsid nohup "$BIN" -listen "127.0.0.1:$MONGO_PORT" -data-dir "$DATA" -log-level "${MONGO_LOG_LEVEL:-error}" \
      </dev/null >>"$LOG" 2>&1 &
    pid=$!
    echo "$pid" >"$PIDFILE"
  fi
  t0=$SECONDS
  until infra_port_open "$MONGO_PORT" && ping_server >/dev/null 2>"$INFRA/run/mongo.ping.err"; do
    if ! infra_pid_alive "$pid"; then rm -f "$PIDFILE"; last_log; die "FerretDB exited during start-up"; fi
    if [ $((SECONDS - t0)) -ge "$START_TIMEOUT" ]; then
      err="$(cat "$INFRA/run/mongo.ping.err" 2>/dev/null || true)"
      last_log; die "no ping answer on 127.0.0.1:$MONGO_PORT after ${START_TIMEOUT}s (pid $pid still running; last ping error: ${err:-none}); run '$0 down'"
    fi
    sleep 0.3
  done
  rm -f "$INFRA/run/mongo.ping.err"
  say "up: FerretDB $(ping_server) on $URL (pid $pid, started in $((SECONDS - t0))s)"
}

down() {
  local pid
  if ! pid="$(our_pid)"; then
    rm -f "$PIDFILE"
    say "already down"
    return 0
  fi
  infra_stop_pid "$pid" 20 "$LOG"
  rm -f "$PIDFILE"
  say "stopped (pid $pid)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  build) build ;;
  url) echo "$URL" ;;
  *) infra_usage_exit "$0" "|build|url" ;;
esac
