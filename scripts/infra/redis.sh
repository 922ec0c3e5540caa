#!/usr/bin/env bash
# A private Redis for tests and development: scripts/infra/redis.sh up|down|status
#
#   REDIS_PORT          port on 127.0.0.1 (default 6390, so a developer's 6379 is left alone)
#   REDIS_UP_TIMEOUT    seconds to wait for PING -> PONG (default 20)
#   REDIS_APPENDONLY    yes: keep an append-only file in the data dir, so a `down` + `up` keeps the
#                       data (restart tests); no (default): in memory only
#   CHATGRAPH_INFRA_DIR state root (default <repo>/.infra); this service uses <root>/redis/
#
# Installs Debian's redis-server with apt when `redis-server` is missing. No persistence by default
# (--save '' --appendonly no): the data lives in memory and is gone after `down`.
set -euo pipefail
# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

REDIS_PORT="${REDIS_PORT:-6390}"
REDIS_UP_TIMEOUT="${REDIS_UP_TIMEOUT:-20}"
REDIS_APPENDONLY="${REDIS_APPENDONLY:-no}"
case "$REDIS_APPENDONLY" in yes | no) ;; *) echo "redis: REDIS_APPENDONLY must be yes or no, not '$REDIS_APPENDONLY'" >&2; exit 2 ;; esac

infra_init redis
PIDFILE="$INFRA_SVC_DIR/redis-$REDIS_PORT.pid"
LOGFILE="$INFRA_SVC_DIR/redis-$REDIS_PORT.log"
DATADIR="$INFRA_SVC_DIR/data-$REDIS_PORT"
# Redis rewrites its process title to "redis-server 127.0.0.1:<port>".
MATCH="redis-server $INFRA_HOST:$REDIS_PORT"

cli() { redis-cli -h "$INFRA_HOST" -p "$REDIS_PORT" "$@"; }
pong() { [ "$(cli ping 2>/dev/null)" = "PONG" ]; }

cmd_status() {
  local pid
  if pid="$(infra_running "$PIDFILE" "$MATCH")" && pong; then
    echo "redis: up on $INFRA_HOST:$REDIS_PORT (pid $pid, $(cli info server | tr -d '\r' | sed -n 's/^redis_version:/v/p'), rss $(infra_rss_mb "$pid") MiB)"
    return 0
  fi
  if [ -n "${pid:-}" ]; then
    echo "redis: pid $pid alive but not answering PING on $INFRA_HOST:$REDIS_PORT"
  elif infra_port_open "$REDIS_PORT"; then
    echo "redis: down (ours), but something else listens on $INFRA_HOST:$REDIS_PORT"
  else
    echo "redis: down"
  fi
  return 1
}

cmd_up() {
  local start pid
  start="$(infra_now)"
  infra_need_cmd redis-server redis-server
  infra_need_cmd redis-cli redis-tools
  infra_lock 120
  if pid="$(infra_running "$PIDFILE" "$MATCH")"; then
    INFRA_WAIT_PID="$pid" infra_wait "$REDIS_UP_TIMEOUT" "redis PING -> PONG on $INFRA_HOST:$REDIS_PORT" "$LOGFILE" -- pong
    echo "redis: already up on $INFRA_HOST:$REDIS_PORT (pid $pid)"
    return 0
  fi
  if infra_port_open "$REDIS_PORT"; then
    infra_die "$INFRA_HOST:$REDIS_PORT is taken by a process that is not ours (no live pid in $PIDFILE); stop it or set REDIS_PORT"
  fi
  mkdir -p "$DATADIR"
  [ -f "$LOGFILE" ] && mv -f "$LOGFILE" "$LOGFILE.1"
  # --daemonize yes: redis-server forks, writes the pid file, and the parent exits 0 at once.
  redis-server --port "$REDIS_PORT" --bind "$INFRA_HOST" --protected-mode yes \
    --save '' --appendonly "$REDIS_APPENDONLY" \
    --daemonize yes --pidfile "$PIDFILE" --logfile "$LOGFILE" --dir "$DATADIR" 9>&- ||
    infra_die "redis-server failed to start" "$LOGFILE"
  infra_wait "$REDIS_UP_TIMEOUT" "redis pid file $PIDFILE" "$LOGFILE" -- test -s "$PIDFILE"
  pid="$(infra_pid_read "$PIDFILE")"
  # In a subshell, so that a failure (which exits) still lets us stop the half-started server.
  if ! (INFRA_WAIT_PID="$pid" infra_wait "$REDIS_UP_TIMEOUT" "redis PING -> PONG on $INFRA_HOST:$REDIS_PORT" "$LOGFILE" -- pong); then
    infra_stop_pid "$pid" 10
    rm -f "$PIDFILE"
    infra_die "redis up failed; stopped pid $pid (full log: $LOGFILE)"
  fi
  echo "redis: up on $INFRA_HOST:$REDIS_PORT (pid $pid) in $(infra_elapsed "$start")s"
}

cmd_down() {
  local pid
  infra_lock 120
  if ! pid="$(infra_running "$PIDFILE" "$MATCH")"; then
    echo "redis: already down"
    return 0
  fi
  # A clean SHUTDOWN NOSAVE first; a SIGTERM (then SIGKILL) if it does not answer.
  cli shutdown nosave >/dev/null 2>&1 || true
  infra_stop_pid "$pid" 10 "$LOGFILE"
  rm -f "$PIDFILE"
  infra_wait_port_closed "$REDIS_PORT" 10 "$LOGFILE"
  echo "redis: stopped (pid $pid)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) infra_usage_exit "$0" ;;
esac
