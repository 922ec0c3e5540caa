# shellcheck shell=bash
# Shared helpers for scripts/infra/*.sh (Redis, Kafka, MongoDB-compatible, Elasticsearch, ...).
# Source it; it defines functions and a few variables and changes no shell options.
#
#   source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
#   infra_init redis            # INFRA_NAME=redis, INFRA_DIR, INFRA_SVC_DIR=$INFRA_DIR/redis (created)
#   infra_lock                  # serialise concurrent up/down of this service (flock, fd 9)
#   infra_wait 30 "redis PING" "$log" -- redis-cli -h 127.0.0.1 -p 6390 ping
#
# Conventions every service script follows:
#   - servers listen on 127.0.0.1 only (never "localhost": Node may resolve it to ::1);
#   - all state (data, logs, pid files, downloads) lives under
#     INFRA_DIR=${CHATGRAPH_INFRA_DIR:-<repo>/.infra}/<service>/;
#   - `up` is a no-op success when already up, `down` a success when already down,
#     `status` exits 0 when up and healthy, 1 otherwise;
#   - every wait has a timeout, and a failure prints the last lines of the service's log.

INFRA_LIB_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
INFRA_REPO_ROOT="$(cd "$INFRA_LIB_DIR/../.." && pwd)"
INFRA_DIR="${CHATGRAPH_INFRA_DIR:-$INFRA_REPO_ROOT/.infra}"
INFRA_HOST=127.0.0.1
INFRA_NAME="${INFRA_NAME:-infra}"

# --- messages -------------------------------------------------------------------------------

infra_log() { printf '[%s] %s\n' "$INFRA_NAME" "$*" >&2; }
infra_warn() { printf '[%s] WARNING: %s\n' "$INFRA_NAME" "$*" >&2; }

# infra_die MESSAGE [LOGFILE [LINES]]: print the message (and the log's tail), exit 1.
infra_die() {
  printf '[%s] ERROR: %s\n' "$INFRA_NAME" "$1" >&2
  if [ -n "${2:-}" ]; then infra_tail_log "$2" "${3:-40}"; fi
  exit 1
}

# infra_tail_log FILE [LINES]: the last lines of a log, framed, on stderr.
infra_tail_log() {
  local file="$1" lines="${2:-40}"
  if [ -s "$file" ]; then
    printf -- '----- last %s lines of %s -----\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" >&2
    printf -- '----- end of %s -----\n' "$file" >&2
  else
    printf '(log %s is empty or missing)\n' "$file" >&2
  fi
}

# --- setup ----------------------------------------------------------------------------------

# infra_init NAME: set INFRA_NAME and INFRA_SVC_DIR (= $INFRA_DIR/NAME), create it.
infra_init() {
  INFRA_NAME="$1"
  INFRA_SVC_DIR="$INFRA_DIR/$1"
  mkdir -p "$INFRA_SVC_DIR"
}

# infra_lock [TIMEOUT]: take an exclusive lock for this service on fd 9 until the script exits,
# so two concurrent `up`s (or an `up` racing a `down`) do not start two servers.
# A server started while the lock is held must not inherit fd 9, or it holds the lock for
# its whole life: start it with `9>&-`.
infra_lock() {
  local timeout="${1:-120}"
  command -v flock >/dev/null 2>&1 || return 0
  exec 9>"$INFRA_SVC_DIR/.lock"
  flock -w "$timeout" 9 || infra_die "another $INFRA_NAME command holds $INFRA_SVC_DIR/.lock (waited ${timeout}s)"
}

# infra_now: seconds since the epoch with milliseconds (for timings).
infra_now() { date +%s.%N | cut -c1-14; }
# infra_elapsed START: seconds since START, one decimal.
infra_elapsed() { awk -v s="$1" -v e="$(infra_now)" 'BEGIN { printf "%.1f", e - s }'; }

# --- packages -------------------------------------------------------------------------------

# infra_apt_install PACKAGE...: install Debian packages; runs `apt-get update` only when the
# install fails without it. Needs root (or passwordless sudo).
infra_apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || infra_die "need root to apt-get install $*"
    sudo="sudo"
  fi
  infra_log "apt-get install -y $*"
  if ! $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2; then
    infra_log "install failed; running apt-get update and retrying"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q >&2 || infra_die "apt-get update failed"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >&2 ||
      infra_die "apt-get install $* failed"
  fi
}

# infra_need_cmd COMMAND PACKAGE...: install PACKAGE(s) when COMMAND is not on PATH.
infra_need_cmd() {
  local cmd="$1"
  shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  infra_apt_install "$@"
  command -v "$cmd" >/dev/null 2>&1 || infra_die "$cmd still missing after installing $*"
}

# --- ports ----------------------------------------------------------------------------------

# infra_port_open PORT [HOST]: exit 0 when something accepts TCP connections there.
infra_port_open() {
  local port="$1" host="${2:-$INFRA_HOST}"
  # shellcheck disable=SC2016 # expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$1/$2"' _ "$host" "$port" 2>/dev/null
}

# infra_wait_port PORT TIMEOUT LOGFILE [HOST]: wait until the port accepts connections.
infra_wait_port() {
  local port="$1" timeout="$2" logfile="$3" host="${4:-$INFRA_HOST}"
  infra_wait "$timeout" "$host:$port to accept connections" "$logfile" -- infra_port_open "$port" "$host"
}

# infra_wait_port_closed PORT TIMEOUT [LOGFILE [HOST]]: wait until nothing listens there.
infra_wait_port_closed() {
  local port="$1" timeout="$2" logfile="${3:-}" host="${4:-$INFRA_HOST}"
  infra_wait "$timeout" "$host:$port to close" "$logfile" -- infra_not infra_port_open "$port" "$host"
}

infra_not() { ! "$@"; }

# infra_wait TIMEOUT DESCRIPTION LOGFILE -- COMMAND...: run COMMAND every 0.2 s (quietly) until
# it succeeds; after TIMEOUT seconds die with DESCRIPTION and the tail of LOGFILE (may be "").
# Set INFRA_WAIT_PID to a pid to fail fast when that process dies while waiting.
infra_wait() {
  local timeout="$1" what="$2" logfile="$3"
  shift 3
  [ "${1:-}" = "--" ] && shift
  local deadline=$((SECONDS + timeout))
  while :; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [ -n "${INFRA_WAIT_PID:-}" ] && ! infra_pid_alive "$INFRA_WAIT_PID"; then
      infra_die "process $INFRA_WAIT_PID exited while waiting for $what" "$logfile"
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      infra_die "timed out after ${timeout}s waiting for $what" "$logfile"
    fi
    sleep 0.2
  done
}

# --- pid files ------------------------------------------------------------------------------

# infra_pid_alive PID: exit 0 when the process exists (and is not a zombie).
infra_pid_alive() {
  local pid="$1" state
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  state="$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null || true)"
  [ "$state" != "Z" ]
}

# infra_pid_matches PID PATTERN: alive and its command line contains PATTERN (guards against a
# stale pid file whose pid the kernel has since given to an unrelated process).
infra_pid_matches() {
  local pid="$1" pattern="$2" cmdline
  infra_pid_alive "$pid" || return 1
  cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null || true)"
  [[ "$cmdline" == *"$pattern"* ]]
}

# infra_pid_read PIDFILE: print the pid it holds (nothing when missing or malformed).
infra_pid_read() {
  local pid=""
  [ -f "$1" ] && read -r pid <"$1" 2>/dev/null
  case "$pid" in '' | *[!0-9]*) return 0 ;; esac
  printf '%s\n' "$pid"
}

# infra_running PIDFILE PATTERN: print the pid and exit 0 when the pid file names a live process
# whose command line contains PATTERN; otherwise remove a stale pid file and exit 1.
infra_running() {
  local pidfile="$1" pattern="$2" pid
  pid="$(infra_pid_read "$pidfile")"
  if [ -n "$pid" ] && infra_pid_matches "$pid" "$pattern"; then
    printf '%s\n' "$pid"
    return 0
  fi
  rm -f "$pidfile"
  return 1
}

# infra_stop_pid PID TIMEOUT [LOGFILE]: SIGTERM, wait up to TIMEOUT s, then SIGKILL and wait 10 s.
infra_stop_pid() {
  local pid="$1" timeout="$2" logfile="${3:-}" deadline
  infra_pid_alive "$pid" || return 0
  kill -TERM "$pid" 2>/dev/null || true
  deadline=$((SECONDS + timeout))
  while infra_pid_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
  if infra_pid_alive "$pid"; then
    infra_warn "pid $pid still running ${timeout}s after SIGTERM; sending SIGKILL"
    [ -n "$logfile" ] && infra_tail_log "$logfile" 20
    kill -KILL "$pid" 2>/dev/null || true
    deadline=$((SECONDS + 10))
    while infra_pid_alive "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.2; done
    infra_pid_alive "$pid" && infra_die "pid $pid survived SIGKILL"
  fi
  return 0
}

# infra_rss_mb PID: resident memory of a process in MiB (empty when unknown).
infra_rss_mb() {
  awk '/^VmRSS:/ { printf "%d", $2 / 1024 }' "/proc/$1/status" 2>/dev/null || true
}

# infra_usage_exit SCRIPT: the common usage line, exit 2.
infra_usage_exit() {
  printf 'usage: %s up|down|status%s\n' "$1" "${2:-}" >&2
  exit 2
}
