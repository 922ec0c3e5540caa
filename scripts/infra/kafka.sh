#!/usr/bin/env bash
# A private single-node Apache Kafka (KRaft) for tests and development:
#   scripts/infra/kafka.sh up|down|status|reset
#
#   KAFKA_PORT             broker port on 127.0.0.1 (default 9092)
#   KAFKA_CONTROLLER_PORT  KRaft controller port on 127.0.0.1 (default 9093)
#   KAFKA_UP_TIMEOUT       seconds to wait until healthy (default 90)
#   KAFKA_HEAP_OPTS        JVM heap flags (default -Xms256m -Xmx512m)
#   KAFKA_LOG_LEVEL        root log level of the broker (default INFO)
#   CHATGRAPH_INFRA_DIR    state root (default <repo>/.infra); this service uses <root>/kafka/
#
# The broker is the kafka_2.13 jar and its dependencies from Maven Central, fetched by the
# pom-only project scripts/infra/kafka/pom.xml into <root>/kafka/jars (again only when the pom
# changes). Needs Java 17+ and Maven; installs them with apt when missing.
# `reset` stops the broker and deletes its data (topics, offsets, cluster id).
set -euo pipefail
# shellcheck source=scripts/infra/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_UP_TIMEOUT="${KAFKA_UP_TIMEOUT:-90}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx512m}"
KAFKA_LOG_LEVEL="${KAFKA_LOG_LEVEL:-INFO}"

infra_init kafka
SRC_DIR="$INFRA_LIB_DIR/kafka"
POM="$SRC_DIR/pom.xml"
JARS="$INFRA_SVC_DIR/jars"
DATA_DIR="$INFRA_SVC_DIR/data-$KAFKA_PORT"
CONFIG="$INFRA_SVC_DIR/server-$KAFKA_PORT.properties"
PIDFILE="$INFRA_SVC_DIR/kafka-$KAFKA_PORT.pid"
LOGFILE="$INFRA_SVC_DIR/kafka-$KAFKA_PORT.log"
BROKER="$INFRA_HOST:$KAFKA_PORT"
MATCH="kafka.Kafka $CONFIG"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

java_major() {
  "$JAVA" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
}

ensure_java() {
  if ! command -v "$JAVA" >/dev/null 2>&1; then
    infra_apt_install openjdk-17-jre-headless
    JAVA=java
  fi
  local major
  major="$(java_major)"
  [ "${major:-0}" -ge 17 ] || infra_die "Kafka 4 needs Java 17+, found '$major' ($JAVA); set JAVA_HOME"
}

# The jars, from Maven Central, once per version of the pom (stamped with its checksum).
ensure_jars() {
  local want have="" tmp
  want="$(sha256sum "$POM" | cut -d' ' -f1)"
  [ -f "$JARS/.pom.sha256" ] && have="$(cat "$JARS/.pom.sha256")"
  if [ "$want" = "$have" ] && compgen -G "$JARS/kafka_2.13-*.jar" >/dev/null; then return 0; fi
  infra_need_cmd mvn maven
  infra_log "fetching the Kafka jars with Maven into $JARS"
  tmp="$INFRA_SVC_DIR/jars.tmp"
  rm -rf "$tmp"
  mvn -B -q -f "$POM" dependency:copy-dependencies -DoutputDirectory="$tmp" >"$INFRA_SVC_DIR/mvn.log" 2>&1 ||
    infra_die "mvn dependency:copy-dependencies failed" "$INFRA_SVC_DIR/mvn.log"
  compgen -G "$tmp/kafka_2.13-*.jar" >/dev/null || infra_die "no kafka_2.13 jar after mvn" "$INFRA_SVC_DIR/mvn.log"
  printf '%s\n' "$want" >"$tmp/.pom.sha256"
  rm -rf "$JARS"
  mv "$tmp" "$JARS"
}

kafka_version() {
  local jar
  jar="$(compgen -G "$JARS/kafka_2.13-*.jar" | head -n1)"
  jar="${jar##*/kafka_2.13-}"
  printf '%s\n' "${jar%.jar}"
}

render_config() {
  sed -e "s|@HOST@|$INFRA_HOST|g" -e "s|@KAFKA_PORT@|$KAFKA_PORT|g" \
    -e "s|@CONTROLLER_PORT@|$KAFKA_CONTROLLER_PORT|g" -e "s|@DATA_DIR@|$DATA_DIR|g" \
    "$SRC_DIR/server.properties.template" >"$CONFIG.tmp"
  mv "$CONFIG.tmp" "$CONFIG"
}

# java_args LOG_LEVEL: the JVM flags shared by the storage tool and the broker, in JAVA_ARGS.
java_args() {
  # shellcheck disable=SC2206 # KAFKA_HEAP_OPTS is a list of flags
  JAVA_ARGS=($KAFKA_HEAP_OPTS -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:+ExitOnOutOfMemoryError
    -Djava.awt.headless=true "-Dlog4j2.configurationFile=$SRC_DIR/log4j2.xml"
    "-Dkafka.log.level=$1" -cp "$JARS/*")
}

# KRaft storage: formatted once per data dir with a random cluster id (22 chars, base64url of
# 16 bytes, which is what `kafka-storage random-uuid` prints).
ensure_formatted() {
  [ -f "$DATA_DIR/meta.properties" ] && return 0
  local id
  id="$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')"
  mkdir -p "$DATA_DIR"
  infra_log "formatting $DATA_DIR (cluster id $id)"
  java_args WARN
  "$JAVA" "${JAVA_ARGS[@]}" kafka.tools.StorageTool format -t "$id" -c "$CONFIG" --ignore-formatted \
    >"$INFRA_SVC_DIR/format.log" 2>&1 || infra_die "kafka storage format failed" "$INFRA_SVC_DIR/format.log"
}

# healthy TIMEOUT_MS [--warm]: a metadata round trip with kafkajs (health.mjs); without node/kafkajs,
# the weaker "port open and the broker logged that it started".
healthy() {
  local rc=0
  if command -v node >/dev/null 2>&1; then
    node "$SRC_DIR/health.mjs" "$BROKER" "$@" || rc=$?
    [ "$rc" -ne 3 ] && return "$rc"
  fi
  infra_warn "node/kafkajs unavailable: checking the port and the log only"
  infra_port_open "$KAFKA_PORT" && grep -q 'Kafka Server started' "$LOGFILE"
}

cmd_status() {
  local pid
  if pid="$(infra_running "$PIDFILE" "$MATCH")"; then
    if infra_port_open "$KAFKA_PORT" && healthy 3000 >/dev/null 2>&1; then
      echo "kafka: up on $BROKER (pid $pid, Kafka $(kafka_version), rss $(infra_rss_mb "$pid") MiB)"
      return 0
    fi
    echo "kafka: pid $pid alive but not healthy on $BROKER"
    return 1
  fi
  if infra_port_open "$KAFKA_PORT"; then
    echo "kafka: down (ours), but something else listens on $BROKER"
  else
    echo "kafka: down"
  fi
  return 1
}

# wait_healthy PID DEADLINE [--warm]: port open, then a metadata round trip (and the warm-up,
# see health.mjs), before $SECONDS reaches DEADLINE; fails fast when PID exits.
wait_healthy() {
  local pid="$1" deadline="$2" out
  INFRA_WAIT_PID="$pid" infra_wait "$((deadline - SECONDS))" "Kafka to accept connections on $BROKER" "$LOGFILE" -- \
    infra_port_open "$KAFKA_PORT"
  if ! out="$(healthy "$(((deadline - SECONDS) * 1000 + 1000))" ${3:+"$3"} 2>&1)"; then
    infra_pid_alive "$pid" || infra_die "Kafka (pid $pid) exited during startup: $out" "$LOGFILE"
    infra_die "Kafka on $BROKER did not become healthy within ${KAFKA_UP_TIMEOUT}s: $out" "$LOGFILE"
  fi
  printf '%s\n' "$out"
}

cmd_up() {
  local start deadline pid port
  start="$(infra_now)"
  infra_lock 300
  if pid="$(infra_running "$PIDFILE" "$MATCH")"; then
    wait_healthy "$pid" "$((SECONDS + KAFKA_UP_TIMEOUT))" >/dev/null
    echo "kafka: already up on $BROKER (pid $pid)"
    return 0
  fi
  for port in "$KAFKA_PORT" "$KAFKA_CONTROLLER_PORT"; do
    infra_port_open "$port" &&
      infra_die "$INFRA_HOST:$port is taken by a process that is not ours (no live pid in $PIDFILE); stop it or set KAFKA_PORT/KAFKA_CONTROLLER_PORT"
  done
  ensure_java
  ensure_jars
  render_config
  ensure_formatted
  [ -f "$LOGFILE" ] && mv -f "$LOGFILE" "$LOGFILE.1"
  # KAFKA_UP_TIMEOUT bounds the broker's start, not the one-time installs and downloads above.
  deadline=$((SECONDS + KAFKA_UP_TIMEOUT))
  # setsid + nohup: the broker outlives this shell and its terminal; 9>&- keeps the lock out of
  # it. (No job control here, so setsid execs in place and $! is the JVM's pid.)
  java_args "$KAFKA_LOG_LEVEL"
  setsid nohup "$JAVA" "${JAVA_ARGS[@]}" kafka.Kafka "$CONFIG" </dev/null >>"$LOGFILE" 2>&1 9>&- &
  pid=$!
  printf '%s\n' "$pid" >"$PIDFILE"
  # In a subshell, so that a failure (which exits) still lets us stop the half-started broker.
  if ! (wait_healthy "$pid" "$deadline" --warm >&2); then
    infra_stop_pid "$pid" 15
    rm -f "$PIDFILE"
    infra_die "kafka up failed; stopped pid $pid (full log: $LOGFILE)"
  fi
  echo "kafka: up on $BROKER (pid $pid, Kafka $(kafka_version)) in $(infra_elapsed "$start")s"
}

cmd_down() {
  local pid
  infra_lock 300
  if ! pid="$(infra_running "$PIDFILE" "$MATCH")"; then
    echo "kafka: already down"
    return 0
  fi
  # SIGTERM runs Kafka's shutdown hook (controlled shutdown, flush, close); SIGKILL after 30 s.
  infra_stop_pid "$pid" 30 "$LOGFILE"
  rm -f "$PIDFILE"
  infra_wait_port_closed "$KAFKA_PORT" 10 "$LOGFILE"
  infra_wait_port_closed "$KAFKA_CONTROLLER_PORT" 10 "$LOGFILE"
  echo "kafka: stopped (pid $pid)"
}

cmd_reset() {
  cmd_down
  rm -rf "$DATA_DIR"
  echo "kafka: data deleted ($DATA_DIR)"
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  reset) cmd_reset ;;
  *) infra_usage_exit "$0" "|reset" ;;
esac
