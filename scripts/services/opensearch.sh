#!/usr/bin/env bash
# Single-node OpenSearch 2.19 (a plain Java 17 process, jars from Maven) for
# session-analytics-gateway's tests and local runs.
#
#   scripts/services/opensearch.sh start    # fresh node on 127.0.0.1:$OPENSEARCH_PORT
#   scripts/services/opensearch.sh stop     # stop it and wait until it is gone
#   scripts/services/opensearch.sh status   # exit 0 when the node answers
#
# Environment (all optional):
#   OPENSEARCH_PORT          HTTP port (default 9200), bound on 127.0.0.1 only
#   OPENSEARCH_HEAP          JVM heap, -Xms and -Xmx (default 1g)
#   OPENSEARCH_JAVA_OPTS     extra JVM flags, appended
#   OPENSEARCH_JAVA          java binary to use (must be 17..22; default: `java`
#                            on PATH, else a JDK 17 under /usr/lib/jvm)
#   OPENSEARCH_START_TIMEOUT seconds to wait for yellow health (default 180)
#   SERVICE_TTL              the node stops by itself after this many seconds
#                            (default 7200)
#   SAG_CACHE                cache root (default ~/.cache/session-analytics-gateway);
#                            the resolved classpath is kept in $SAG_CACHE/opensearch/
#   SAG_STATE                run-state root (default $SAG_CACHE/run): holds
#                            opensearch-<port>/ (wiped on every start: data, logs),
#                            opensearch-<port>.pid and opensearch.env
#
# `start` writes $SAG_STATE/opensearch.env with OPENSEARCH_URL=http://127.0.0.1:<port>
# once the cluster is yellow and new indices get 0 replicas (green on one node).
# Jars live in Maven's local repository (~/.m2), outside the work tree.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OS_SRC="$HERE/opensearch"
PORT=${OPENSEARCH_PORT:-9200}
HEAP=${OPENSEARCH_HEAP:-1g}
TTL=${SERVICE_TTL:-7200}
START_TIMEOUT=${OPENSEARCH_START_TIMEOUT:-180}
CACHE_ROOT=${SAG_CACHE:-$HOME/.cache/session-analytics-gateway}
CACHE_DIR="$CACHE_ROOT/opensearch"
STATE_DIR=${SAG_STATE:-$HOME/.cache/session-analytics-gateway/run}
INSTANCE="$STATE_DIR/opensearch-$PORT"
PIDFILE="$STATE_DIR/opensearch-$PORT.pid"
ENVFILE="$STATE_DIR/opensearch.env"
URL="http://127.0.0.1:$PORT"

log() { printf 'opensearch.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

case "$PORT" in '' | *[!0-9]*) die "OPENSEARCH_PORT must be a number, got '$PORT'" ;; esac
case "$TTL" in '' | *[!0-9]*) die "SERVICE_TTL must be a number of seconds, got '$TTL'" ;; esac

# --- helpers -----------------------------------------------------------------

# curl against the node; never waits long, never reads stdin.
os_curl() { curl -sS --max-time "${CURL_MAX_TIME:-10}" "$@" </dev/null; }

answers() { curl -s -o /dev/null --max-time 2 "$URL/" </dev/null; }

# pid of the supervisor (`timeout`) recorded at start, if it is still alive
running_pid() {
  [[ -f "$PIDFILE" ]] || return 1
  local pid
  pid=$(head -n1 "$PIDFILE" 2>/dev/null || true)
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  printf '%s\n' "$pid"
}

java_major() {
  "$1" -XshowSettings:properties -version 2>&1 |
    sed -n 's/^ *java\.specification\.version = \([0-9]*\).*/\1/p' | head -n1
}

# OpenSearch 2.19 needs Java 11+ and -Djava.locale.providers=SPI,COMPAT, which
# Java 23 dropped; we run it on 17.
pick_java() {
  local cand major
  for cand in "${OPENSEARCH_JAVA:-}" "$(command -v java 2>/dev/null || true)" \
    /usr/lib/jvm/java-17-openjdk-amd64/bin/java /usr/lib/jvm/*17*/bin/java; do
    [[ -n "$cand" && -x "$cand" ]] || continue
    major=$(java_major "$cand")
    if [[ -n "$major" && "$major" -ge 17 && "$major" -le 22 ]]; then
      printf '%s\n' "$cand"
      return 0
    fi
    [[ -n "${OPENSEARCH_JAVA:-}" && "$cand" == "$OPENSEARCH_JAVA" ]] &&
      die "OPENSEARCH_JAVA=$cand is Java $major; OpenSearch 2.19 here needs Java 17..22"
  done
  die "no Java 17..22 found (set OPENSEARCH_JAVA)"
}

# Classpath from Maven, cached per pom content; recomputed when the pom changes
# or a jar went missing from the local repository.
classpath_file() {
  command -v mvn >/dev/null 2>&1 || die "mvn not found (apt-get install maven)"
  mkdir -p "$CACHE_DIR"
  local key cp tmp mvnlog
  key=$(sha256sum "$OS_SRC/pom.xml" | cut -c1-16)
  cp="$CACHE_DIR/classpath-$key.txt"
  mvnlog="$CACHE_DIR/mvn.log"
  if [[ -s "$cp" ]]; then
    local ok=1 jar
    while IFS= read -r -d ':' jar; do
      [[ -f "$jar" ]] || { ok=0; break; }
    done < <(tr -d '\n' <"$cp"; printf ':')
    if [[ $ok == 1 ]]; then
      printf '%s\n' "$cp"
      return 0
    fi
    log "a cached jar is missing; resolving the classpath again"
  fi
  tmp="$cp.tmp.$$"
  rm -f "$tmp"
  # Offline first (everything already in ~/.m2: no network at all), then online.
  if ! mvn -o -B -q -f "$OS_SRC/pom.xml" dependency:build-classpath \
    -Dmdep.outputFile="$tmp" </dev/null >"$mvnlog" 2>&1; then
    log "resolving OpenSearch jars with Maven (log: $mvnlog)"
    if ! mvn -B -q -f "$OS_SRC/pom.xml" dependency:build-classpath \
      -Dmdep.outputFile="$tmp" </dev/null >>"$mvnlog" 2>&1; then
      rm -f "$tmp"
      tail -n 20 "$mvnlog" >&2 || true
      die "Maven could not resolve the OpenSearch classpath (see $mvnlog)"
    fi
  fi
  [[ -s "$tmp" ]] || die "Maven wrote an empty classpath (see $mvnlog)"
  mv -f "$tmp" "$cp"
  # keep only the classpath of the current pom
  find "$CACHE_DIR" -maxdepth 1 -name 'classpath-*.txt' ! -name "classpath-$key.txt" -delete
  printf '%s\n' "$cp"
}

# remove opensearch.env if it points at this port (a node that stopped by
# itself after SERVICE_TTL leaves it behind)
drop_envfile() {
  if [[ -f "$ENVFILE" ]] && grep -qx "OPENSEARCH_URL=$URL" "$ENVFILE"; then
    rm -f "$ENVFILE"
  fi
}

# --- commands ----------------------------------------------------------------

do_stop() {
  local pid javapid i
  if ! pid=$(running_pid); then
    rm -f "$PIDFILE"
    drop_envfile
    if answers; then
      log "something answers on $URL but it was not started by this script; left alone"
      return 1
    fi
    log "not running (port $PORT)"
    return 0
  fi
  javapid=$(sed -n 2p "$PIDFILE" 2>/dev/null || true)
  log "stopping node (pid $pid)"
  # timeout(1) passes TERM on to java, whose shutdown hook closes the node.
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 300; i++)); do # up to 30 s
    if ! kill -0 "$pid" 2>/dev/null && { [[ -z "$javapid" ]] || ! kill -0 "$javapid" 2>/dev/null; }; then
      break
    fi
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null || { [[ -n "$javapid" ]] && kill -0 "$javapid" 2>/dev/null; }; then
    log "node did not stop within 30 s; killing it"
    if [[ -n "$javapid" ]]; then kill -KILL "$javapid" 2>/dev/null || true; fi
    kill -KILL "$pid" 2>/dev/null || true
    sleep 0.5
  fi
  rm -f "$PIDFILE"
  drop_envfile
  log "stopped"
}

do_status() {
  local health
  if health=$(curl -s --max-time 3 "$URL/_cluster/health" </dev/null) && [[ -n "$health" ]]; then
    printf '%s\n' "$health"
    return 0
  fi
  log "no node answers on $URL"
  return 1
}

do_start() {
  local java cpfile pid javapid t0 t1 i health
  command -v curl >/dev/null 2>&1 || die "curl not found"
  command -v timeout >/dev/null 2>&1 || die "timeout (coreutils) not found"

  if running_pid >/dev/null; then
    log "a node started by this script is running on port $PORT; restarting it fresh"
    do_stop
  fi
  if answers; then
    die "port $PORT on 127.0.0.1 is already in use by another process"
  fi

  java=$(pick_java)
  cpfile=$(classpath_file)

  mkdir -p "$STATE_DIR"
  # fresh instance: new data, new logs
  rm -rf -- "$INSTANCE"
  mkdir -p "$INSTANCE/home" "$INSTANCE/data" "$INSTANCE/tmp"
  rm -f "$PIDFILE"

  local -a jvm=(
    "-Xms$HEAP" "-Xmx$HEAP"
    -Xss1m
    -XX:+ExitOnOutOfMemoryError
    -XX:-OmitStackTraceInFastThrow
    "-Djava.locale.providers=SPI,COMPAT"
    -Djava.awt.headless=true
    -Dfile.encoding=UTF-8
    "-Djava.io.tmpdir=$INSTANCE/tmp"
    -Djna.nosys=true
    -Dio.netty.noUnsafe=true
    -Dio.netty.noKeySetOptimization=true
    -Dio.netty.recycler.maxCapacityPerThread=0
    -Dio.netty.allocator.numDirectArenas=0
    -Dlog4j.shutdownHookEnabled=false
    -Dlog4j2.disable.jmx=true
    "-Dlog4j2.configurationFile=$OS_SRC/log4j2.properties"
    "-Dsag.opensearch.logfile=$INSTANCE/opensearch.log"
  )
  if [[ -n "${OPENSEARCH_JAVA_OPTS:-}" ]]; then
    # shellcheck disable=SC2206 # word splitting of user flags is intended
    jvm+=($OPENSEARCH_JAVA_OPTS)
  fi

  log "starting OpenSearch on $URL (heap $HEAP, ttl ${TTL}s, java $java)"
  t0=$(date +%s%N)
  # setsid: detached from the caller's session/terminal; timeout: the node
  # stops by itself after $TTL seconds (TERM, then KILL 30 s later).
  (
    cd "$INSTANCE"
    exec setsid timeout --kill-after=30 "$TTL" \
      "$java" "${jvm[@]}" -cp "$(cat "$cpfile")" "$OS_SRC/Launcher.java" \
      "$INSTANCE/home" "$INSTANCE/data" "$PORT"
  ) </dev/null >"$INSTANCE/console.out" 2>&1 &
  pid=$!
  printf '%s\n' "$pid" >"$PIDFILE"

  health=""
  for ((i = 0; i < START_TIMEOUT * 4; i++)); do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "node exited during start; last lines of $INSTANCE/console.out and opensearch.log:"
      tail -n 30 "$INSTANCE/console.out" >&2 || true
      tail -n 30 "$INSTANCE/opensearch.log" >&2 2>/dev/null || true
      rm -f "$PIDFILE"
      exit 1
    fi
    if health=$(curl -sf --max-time 3 "$URL/_cluster/health?wait_for_status=yellow&timeout=1s" </dev/null) &&
      [[ "$health" == *'"timed_out":false'* ]]; then
      break
    fi
    health=""
    sleep 0.25
  done
  if [[ -z "$health" ]]; then
    log "node not yellow after ${START_TIMEOUT}s; stopping it (log: $INSTANCE/opensearch.log)"
    tail -n 30 "$INSTANCE/opensearch.log" >&2 2>/dev/null || true
    do_stop || true
    exit 1
  fi
  t1=$(date +%s%N)

  javapid=$(pgrep -P "$pid" 2>/dev/null | head -n1 || true)
  [[ -n "$javapid" ]] && printf '%s\n%s\n' "$pid" "$javapid" >"$PIDFILE"

  # One node: new indices must not wait for replicas (green, writable).
  if ! os_curl -f -X PUT "$URL/_cluster/settings" -H 'Content-Type: application/json' \
    -d '{"persistent":{"cluster.default_number_of_replicas":0}}' >/dev/null; then
    do_stop || true
    die "could not set cluster.default_number_of_replicas=0"
  fi

  umask 022
  printf 'OPENSEARCH_URL=%s\n' "$URL" >"$ENVFILE.tmp.$$"
  mv -f "$ENVFILE.tmp.$$" "$ENVFILE"
  log "ready: $URL in $(((t1 - t0) / 1000000)) ms (pid $pid; env $ENVFILE; log $INSTANCE/opensearch.log)"
}

case "${1:-}" in
  start) do_start ;;
  stop) do_stop ;;
  status) do_status ;;
  restart) do_stop && do_start ;;
  *)
    echo "usage: $0 start|stop|status|restart" >&2
    exit 2
    ;;
esac
