#!/usr/bin/env bash
# Real Elasticsearch for dev/CI: the integ-test distribution zip from Maven Central (fetched by the
# pom-only project scripts/infra/elasticsearch/pom.xml), on 127.0.0.1:$ES_PORT, single node.
#
#   scripts/infra/elasticsearch.sh up       fetch/unpack if needed, start, wait for yellow
#   scripts/infra/elasticsearch.sh down     SIGTERM, wait for exit (no-op when not running)
#   scripts/infra/elasticsearch.sh status   exit 0 when up and healthy, 1 otherwise
#   scripts/infra/elasticsearch.sh install  only fetch and unpack
#   scripts/infra/elasticsearch.sh url      print the base URL
#
# Env: ES_PORT (9250), ES_TRANSPORT_PORT (a range, ES takes the first free port: ES_PORT+100..+149),
# ES_VERSION (9.5.4), ES_JAVA_HOME (default: newest JDK >= 21 under /usr/lib/jvm), ES_HEAP (512m),
# ES_START_TIMEOUT (180 s), CHATGRAPH_INFRA_DIR (<repo>/.infra), ES_USER (chatgraph-es).
# State: <infra>/downloads/elasticsearch-<v>.zip, <infra>/elasticsearch (the distribution),
# <infra>/es/{config,data,logs,tmp,run}. Maven's own cache stays in ~/.m2.
#
# Elasticsearch refuses to run as root: as root the script creates a system user ($ES_USER) and
# runs the node as that user with runuser; as any other user it runs the node as that user.
set -euo pipefail

# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
INFRA_NAME=elasticsearch

INFRA="$INFRA_DIR"
case "$INFRA" in /*) ;; *) INFRA="$PWD/$INFRA" ;; esac
ES_PORT="${ES_PORT:-9250}"
ES_TRANSPORT_PORT="${ES_TRANSPORT_PORT:-$((ES_PORT + 100))-$((ES_PORT + 149))}"
ES_VERSION="${ES_VERSION:-9.5.4}"
ES_HEAP="${ES_HEAP:-512m}"
START_TIMEOUT="${ES_START_TIMEOUT:-180}"
ES_USER="${ES_USER:-chatgraph-es}"
TPL="$INFRA_LIB_DIR/elasticsearch"
ZIP="$INFRA/downloads/elasticsearch-$ES_VERSION.zip"
ES_HOME="$INFRA/elasticsearch"
STATE="$INFRA/es"
CONF="$STATE/config"
PIDFILE="$STATE/run/elasticsearch.pid"
PORTFILE="$STATE/run/http.port"        # the http.port the running node was started with
LOG="$STATE/logs/chatgraph-infra.log"   # <cluster.name>.log, written by the node
START_LOG="$STATE/logs/start.log"       # what the launcher printed
URL="http://127.0.0.1:$ES_PORT"

# This script's own message prefix ("elasticsearch: ..."); waits, pid files and log tails come
# from lib.sh.
say() { echo "elasticsearch: $*" >&2; }
die() { echo "elasticsearch: ERROR: $*" >&2; exit 1; }
# pid from the pid file, only if that process is still our node (pids get reused)
our_pid() { infra_running "$PIDFILE" 'org.elasticsearch'; }
last_log() { infra_tail_log "$START_LOG" 30; infra_tail_log "$LOG" 30; }
as_es() { if [ "$(id -u)" = 0 ]; then runuser -u "$ES_USER" -- "$@"; else "$@"; fi; }

# newest JDK >= 21 that runs (ES 9 needs 21+; the zip has no bundled JDK)
pick_java() {
  if [ -n "${ES_JAVA_HOME:-}" ]; then
    [ -x "$ES_JAVA_HOME/bin/java" ] || die "ES_JAVA_HOME=$ES_JAVA_HOME has no bin/java"
    echo "$ES_JAVA_HOME"; return
  fi
  local best="" bestv=0 d v
  for d in /usr/lib/jvm/*/; do
    d="${d%/}"
    [ -L "$d" ] && continue
    [ -x "$d/bin/java" ] || continue
    v="$("$d/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -1)"
    [ -n "$v" ] && [ "$v" -gt "$bestv" ] && { best="$d"; bestv="$v"; }
  done
  [ "$bestv" -ge 21 ] || die "no JDK >= 21 under /usr/lib/jvm (newest found: ${bestv:-none}); set ES_JAVA_HOME"
  echo "$best"
}

install() {
  if [ -f "$ES_HOME/.chatgraph-version" ] && [ "$(cat "$ES_HOME/.chatgraph-version")" = "$ES_VERSION" ]; then
    return 0
  fi
  command -v unzip >/dev/null || die "unzip is missing (apt-get install -y unzip)"
  if [ ! -s "$ZIP" ]; then
    command -v mvn >/dev/null || die "mvn is not on PATH (Maven fetches the distribution zip)"
    say "fetching org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip from Maven Central"
    mkdir -p "$INFRA/downloads"
    # (pipefail is on: the `if` sees mvn's failure; sed only strips the colour codes -q leaves)
    if ! mvn -B -q -Dstyle.color=never -f "$TPL/pom.xml" -Des.version="$ES_VERSION" -Des.download.dir="$INFRA/downloads" \
        dependency:copy 2>&1 | sed 's/\x1b\[[0-9;]*m//g' >&2; then
      die "mvn dependency:copy failed (is $ES_VERSION published under that coordinate?)"
    fi
    [ -s "$ZIP" ] || die "mvn finished but $ZIP is missing"
  fi
  say "unpacking $(basename "$ZIP") -> $ES_HOME"
  rm -rf "$ES_HOME" "$ES_HOME.tmp"
  mkdir -p "$ES_HOME.tmp"
  unzip -q "$ZIP" -d "$ES_HOME.tmp" || { rm -rf "$ES_HOME.tmp" "$ZIP"; die "unzip of $ZIP failed (removed it; the next run fetches it again)"; }
  mv "$ES_HOME.tmp/elasticsearch-$ES_VERSION" "$ES_HOME"
  rmdir "$ES_HOME.tmp"
  echo "$ES_VERSION" >"$ES_HOME/.chatgraph-version"
}

ensure_user() {
  [ "$(id -u)" = 0 ] || return 0
  id -u "$ES_USER" >/dev/null 2>&1 && return 0
  say "creating system user $ES_USER (Elasticsearch refuses to run as root)"
  useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin "$ES_USER" \
    || die "useradd $ES_USER failed"
}

# (re)write the node's config dir from the distribution's defaults and our templates
configure() {
  mkdir -p "$CONF" "$STATE/data" "$STATE/logs" "$STATE/tmp" "$STATE/run"
  local f
  for f in jvm.options log4j2.properties; do cp -f "$ES_HOME/config/$f" "$CONF/$f"; done
  mkdir -p "$CONF/jvm.options.d"
  sed -e "s|@ES_PORT@|$ES_PORT|" -e "s|@ES_TRANSPORT_PORT@|$ES_TRANSPORT_PORT|" \
      -e "s|@ES_DATA@|$STATE/data|" -e "s|@ES_LOGS@|$STATE/logs|" \
      "$TPL/elasticsearch.yml.tmpl" >"$CONF/elasticsearch.yml"
  if [ -d "$ES_HOME/modules/x-pack-security" ]; then
    cat "$TPL/security.yml.tmpl" >>"$CONF/elasticsearch.yml"
  fi
  if [ "$(id -u)" = 0 ]; then
    chown -R "$ES_USER:$ES_USER" "$ES_HOME" "$STATE"
    # the node user must be able to reach the infra dir through every parent directory
    as_es test -x "$STATE" -a -w "$STATE/data" \
      || die "user $ES_USER cannot reach $STATE (a parent directory is not world-executable); set CHATGRAPH_INFRA_DIR elsewhere"
  fi
}

health() {
  # prints the status line; fails unless yellow/green AND the x-elastic-product header is there
  local hdrs body
  hdrs="$(mktemp)"
  body="$(curl -sS --max-time "${1:-5}" -D "$hdrs" "$URL/_cluster/health?wait_for_status=yellow&timeout=${1:-5}s" 2>/dev/null)" \
    || { rm -f "$hdrs"; return 1; }
  if ! grep -qi '^x-elastic-product: *Elasticsearch' "$hdrs"; then rm -f "$hdrs"; echo "no x-elastic-product header" >&2; return 1; fi
  rm -f "$hdrs"
  case "$body" in *'"status":"green"'*|*'"status":"yellow"'*) ;; *) echo "$body" >&2; return 1 ;; esac
  echo "$body" | sed -n 's/.*"status":"\([a-z]*\)".*/\1/p'
}

# (GET / is not served: the zip lacks the rest-root module, so the Node client's info() fails too)
version_of_server() {
  curl -sS --max-time 5 "$URL/_nodes/_local?filter_path=nodes.*.version" | sed -n 's/.*"version":"\([^"]*\)".*/\1/p'
}

status() {
  local pid st
  if pid="$(our_pid)" && [ "$(running_port)" = "$ES_PORT" ] && st="$(health 5 2>/dev/null)"; then
    say "up: Elasticsearch $(version_of_server) on $URL, cluster $st (pid $pid, RSS $(infra_rss_mb "$pid") MiB)"
    return 0
  fi
  if pid="$(our_pid)"; then say "node $pid (started on port $(running_port)) running but $URL is not healthy"
  else say "down (port $ES_PORT)"; fi
  return 1
}

running_port() { cat "$PORTFILE" 2>/dev/null || echo "?"; }

up() {
  local pid t0 java st rc
  if pid="$(our_pid)"; then
    [ "$(running_port)" = "$ES_PORT" ] || \
      die "this infra dir's node (pid $pid) is running on port $(running_port), not $ES_PORT: run 'ES_PORT=$(running_port) $0 down' first, or use another CHATGRAPH_INFRA_DIR"
    if health 5 >/dev/null 2>&1; then say "already up on $URL (pid $pid)"; return 0; fi
  fi
  command -v curl >/dev/null || die "curl is missing (apt-get install -y curl)"
  install
  t0=$SECONDS
  if ! pid="$(our_pid)"; then
    infra_port_open "$ES_PORT" && die "127.0.0.1:$ES_PORT is already taken by another process (set ES_PORT): $(ss -ltnpH "sport = :$ES_PORT" 2>/dev/null | head -1)"
    java="$(pick_java)"
    ensure_user
    configure
    rm -f "$PIDFILE"
    say "starting Elasticsearch $ES_VERSION on $URL (java: $java, heap $ES_HEAP)"
    echo "$ES_PORT" >"$PORTFILE"
    echo "=== $(date -u +%FT%TZ) start on 127.0.0.1:$ES_PORT" >"$START_LOG"
    # -d: the launcher forks the node, waits until it has started, then exits (one JVM stays).
    # Until then the node's console log goes to start.log too (-q is refused together with -d).
    # cwd = logs dir: jvm.options writes gc.log / hs_err files relative to it.
    rc=0
    ( cd "$STATE/logs" && as_es env ES_JAVA_HOME="$java" ES_PATH_CONF="$CONF" ES_TMPDIR="$STATE/tmp" \
        ES_JAVA_OPTS="-Xms$ES_HEAP -Xmx$ES_HEAP ${ES_EXTRA_JAVA_OPTS:-}" \
        timeout "$START_TIMEOUT" "$ES_HOME/bin/elasticsearch" -d -p "$PIDFILE" \
        </dev/null >>"$START_LOG" 2>&1 ) || rc=$?
    if [ "$rc" = 124 ]; then
      last_log
      if pid="$(our_pid)"; then kill -TERM "$pid" 2>/dev/null || true; say "sent SIGTERM to the half-started node $pid"; fi
      die "the launcher did not report a started node within ${START_TIMEOUT}s (ES_START_TIMEOUT)"
    elif [ "$rc" != 0 ]; then
      last_log; rm -f "$PORTFILE"; die "the launcher failed (exit $rc): see $START_LOG and $LOG"
    fi
    pid="$(our_pid)" || { last_log; die "launcher exited but no running node in $PIDFILE"; }
  fi
  until st="$(health 5 2>/dev/null)"; do
    infra_pid_alive "$pid" || { rm -f "$PIDFILE"; last_log; die "Elasticsearch exited during start-up"; }
    [ $((SECONDS - t0)) -lt "$START_TIMEOUT" ] || { last_log; die "not healthy after ${START_TIMEOUT}s (pid $pid still running); run '$0 down'"; }
    sleep 1
  done
  say "up: Elasticsearch $(version_of_server) on $URL, cluster $st (pid $pid, ready in $((SECONDS - t0))s)"
}

down() {
  local pid
  if ! pid="$(our_pid)"; then rm -f "$PIDFILE" "$PORTFILE"; say "already down"; return 0; fi
  infra_stop_pid "$pid" 30 "$LOG"
  rm -f "$PIDFILE" "$PORTFILE"
  say "stopped (pid $pid)"
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  install) install ;;
  url) echo "$URL" ;;
  *) infra_usage_exit "$0" "|install|url" ;;
esac
