#!/usr/bin/env bash
# InfluxDB 2.x (with Flux) for the project's tests: built with go and cargo from
# the Go module proxy and Rust crates into a cache outside the work tree, run on
# loopback only.
#
#   scripts/services/influxdb.sh build    build influxd once per machine (cached)
#   scripts/services/influxdb.sh start    fresh server on 127.0.0.1:$INFLUX_PORT,
#                                         onboarded; writes $SAG_STATE/influxdb.env
#   scripts/services/influxdb.sh stop     stop it and wait until it is gone
#   scripts/services/influxdb.sh status   exit 0 when it answers /health
#   scripts/services/influxdb.sh env      print the env file path (for `source`)
#   scripts/services/influxdb.sh bin      print the influxd path (fails if not built)
#
# Environment:
#   SAG_CACHE          cache root (default ~/.cache/session-analytics-gateway);
#                      binaries go to $SAG_CACHE/influxdb/<version>/bin/influxd,
#                      with bin/toolchain naming the Go toolchain that built it
#   SAG_STATE          runtime state (default ~/.cache/session-analytics-gateway/run):
#                      data dir influxdb-<port>/, its log, pidfile, influxdb.env
#   INFLUX_PORT        HTTP port (default 8086), bound on 127.0.0.1 only
#   SERVICE_TTL        seconds before a forgotten server kills itself (default 7200)
#   INFLUXDB_VERSIONS  versions tried in order by `build` (default "2.9.1 2.8.0 2.7.12")
#   INFLUX_START_TIMEOUT  seconds to wait for /health (default 120)
#   INFLUX_LOG_LEVEL   influxd log level (default info)
#
# How the build works (see the project's services design notes):
#   - the influxdb module has `replace` directives, so `go install pkg@version`
#     is refused; its module directory is copied and `go build ./cmd/influxd` run there;
#   - Flux's Go package links libflux (Rust) through `pkg-config flux`: the flux
#     module named in influxdb's go.mod is copied and libflux built with the stable
#     toolchain (the pinned one cannot be fetched here) and lints capped to warnings
#     (its `strict` feature turns new lints into errors); libflux.a, include/ and a
#     flux.pc go into a cached prefix;
#   - no UI assets (without the `assets` build tag the UI is stubbed).
set -euo pipefail

SAG_CACHE="${SAG_CACHE:-$HOME/.cache/session-analytics-gateway}"
SAG_STATE="${SAG_STATE:-$HOME/.cache/session-analytics-gateway/run}"
INFLUX_PORT="${INFLUX_PORT:-8086}"
SERVICE_TTL="${SERVICE_TTL:-7200}"
INFLUXDB_VERSIONS="${INFLUXDB_VERSIONS:-2.9.1 2.8.0 2.7.12}"
INFLUX_START_TIMEOUT="${INFLUX_START_TIMEOUT:-120}"

INFLUX_CACHE="$SAG_CACHE/influxdb"
INFLUX_HOST=127.0.0.1
INFLUX_URL="http://$INFLUX_HOST:$INFLUX_PORT"
INFLUX_ORG=sag
INFLUX_BUCKET=sessions
INFLUX_USER=sag
INFLUX_PASSWORD=sag-password

DATA_DIR="$SAG_STATE/influxdb-$INFLUX_PORT"
LOG_FILE="$SAG_STATE/influxdb-$INFLUX_PORT.log"
PID_FILE="$SAG_STATE/influxdb-$INFLUX_PORT.pid"
ENV_FILE="$SAG_STATE/influxdb.env"

INFLUX_MODULE=github.com/influxdata/influxdb/v2
FLUX_MODULE=github.com/influxdata/flux

export CI="${CI:-}" DEBIAN_FRONTEND=noninteractive

note() { printf '[influxdb] %s\n' "$*"; }
die() { printf '[influxdb] error: %s\n' "$*" >&2; exit 1; }

case "$INFLUX_PORT" in '' | *[!0-9]*) die "INFLUX_PORT must be a number, got '$INFLUX_PORT'" ;; esac
case "$SERVICE_TTL" in '' | *[!0-9]*) die "SERVICE_TTL must be a number of seconds, got '$SERVICE_TTL'" ;; esac

# ---------------------------------------------------------------- binary

# Prints the first cached influxd among INFLUXDB_VERSIONS; fails if none.
find_binary() {
	local v
	for v in $INFLUXDB_VERSIONS; do
		# A binary without its toolchain stamp predates building with the Go
		# release influxdb declares (built with a newer Go it crashed in Flux's
		# storage reader): build it again.
		if [[ -x "$INFLUX_CACHE/$v/bin/influxd" && -s "$INFLUX_CACHE/$v/bin/toolchain" ]]; then
			printf '%s\n' "$INFLUX_CACHE/$v/bin/influxd"
			return 0
		fi
	done
	return 1
}

as_root() {
	if [[ $(id -u) -eq 0 ]]; then
		"$@"
	elif command -v sudo >/dev/null 2>&1; then
		sudo -n "$@"
	else
		die "need root to run: $*"
	fi
}

ensure_build_tools() {
	local missing=() t
	command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
	command -v cc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
	if ((${#missing[@]})); then
		command -v apt-get >/dev/null 2>&1 || die "missing ${missing[*]} and no apt-get to install them"
		note "installing ${missing[*]} (apt-get)"
		as_root apt-get update >>"$BUILD_LOG" 2>&1 || die "apt-get update failed (see $BUILD_LOG)"
		as_root apt-get install -y --no-install-recommends "${missing[@]}" >>"$BUILD_LOG" 2>&1 ||
			die "apt-get install ${missing[*]} failed (see $BUILD_LOG)"
	fi
	for t in go cargo pkg-config cc; do
		command -v "$t" >/dev/null 2>&1 || die "'$t' not found on PATH"
	done
}

# run_step DESCRIPTION CMD... : runs CMD with its output appended to $BUILD_LOG,
# printing a heartbeat every minute so CI does not think the job hung.
run_step() {
	local desc=$1 start=$SECONDS pid rc=0 ticks=0
	shift
	note "$desc (log: $BUILD_LOG)"
	printf '\n==== %s: %s\n==== %s\n' "$(date -u +%FT%TZ)" "$desc" "$*" >>"$BUILD_LOG"
	"$@" >>"$BUILD_LOG" 2>&1 </dev/null &
	pid=$!
	STEP_PID=$pid
	while kill -0 "$pid" 2>/dev/null; do
		sleep 1
		if ((++ticks % 60 == 0)) && kill -0 "$pid" 2>/dev/null; then
			note "  ... $desc: $(((SECONDS - start) / 60)) min"
		fi
	done
	wait "$pid" || rc=$?
	STEP_PID=
	if ((rc != 0)); then
		printf '[influxdb] step failed (exit %d): %s; last lines of %s:\n' "$rc" "$desc" "$BUILD_LOG" >&2
		tail -n 40 "$BUILD_LOG" >&2 || true
		return "$rc"
	fi
	note "  done in $((SECONDS - start))s: $desc"
}

# Sets MODULE_DIR (module cache directory) and MODULE_HASH (upstream commit, if
# known) for MODULE@VERSION, downloading it if needed.
module_dir() {
	local json
	MODULE_DIR='' MODULE_HASH=''
	json=$(go mod download -json "$1@$2" 2>&1) || {
		printf '%s\n' "$json" >>"$BUILD_LOG"
		return 1
	}
	printf '%s\n' "$json" >>"$BUILD_LOG"
	MODULE_DIR=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n 1)
	MODULE_HASH=$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]*\)".*/\1/p' | head -n 1)
	[[ -n "$MODULE_DIR" && -d "$MODULE_DIR" ]]
}

cargo_build_libflux() { # SRC_LIBFLUX_DIR
	cd "$1" &&
		RUSTUP_TOOLCHAIN="${INFLUX_RUST_TOOLCHAIN:-stable}" RUSTFLAGS="--cap-lints=warn" \
			cargo build --release --locked
}

go_build_influxd() { # SRC_DIR PKG_CONFIG_DIR OUT LDFLAGS TOOLCHAIN
	cd "$1" &&
		GOTOOLCHAIN="$5" CGO_ENABLED=1 PKG_CONFIG=pkg-config PKG_CONFIG_PATH="$2" \
			GOFLAGS="${GOFLAGS:-} -buildvcs=false" \
			go build -tags sqlite_foreign_keys,sqlite_json -ldflags "$4" -o "$3" ./cmd/influxd
}

# Builds libflux FLUX_VERSION into $INFLUX_CACHE/libflux/<version> (cached, so a
# failed Go build does not redo the Rust one); sets LIBFLUX_PREFIX.
build_libflux() {
	local fv=$1 prefix="$INFLUX_CACHE/libflux/$1" tmp
	LIBFLUX_PREFIX=$prefix
	if [[ -f "$prefix/lib/libflux.a" && -f "$prefix/lib/pkgconfig/flux.pc" ]]; then
		note "libflux $fv already built: $prefix"
		return 0
	fi
	mkdir -p "$INFLUX_CACHE/libflux"
	module_dir "$FLUX_MODULE" "$fv" || {
		note "cannot download $FLUX_MODULE@$fv"
		return 1
	}
	tmp=$(mktemp -d "$INFLUX_CACHE/libflux/tmp.XXXXXX")
	TMP_DIRS+=("$tmp")
	cp -R "$MODULE_DIR" "$tmp/flux" && chmod -R u+w "$tmp/flux" || return 1
	run_step "cargo build libflux $fv" cargo_build_libflux "$tmp/flux/libflux" || return 1
	[[ -f "$tmp/flux/libflux/target/release/libflux.a" ]] || {
		note "cargo did not produce libflux.a"
		return 1
	}
	mkdir -p "$tmp/prefix/lib/pkgconfig" || return 1
	# Only the static archive: with libflux.so next to it the linker would pick that.
	cp "$tmp/flux/libflux/target/release/libflux.a" "$tmp/prefix/lib/" || return 1
	cp -R "$tmp/flux/libflux/include" "$tmp/prefix/include" || return 1
	# pkg-config resolves ${pcfiledir} to the .pc file's directory, so the prefix
	# can be moved into place after writing it.
	cat >"$tmp/prefix/lib/pkgconfig/flux.pc" <<EOF || return 1
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: flux
Description: Flux language library (libflux, built from $FLUX_MODULE $fv)
Version: ${fv#v}
Libs: -L\${libdir} -lflux -ldl -lpthread -lm
Cflags: -I\${includedir}
EOF
	rm -rf "$prefix"
	mv "$tmp/prefix" "$prefix" || return 1
	rm -rf "$tmp"
}

build_version() {
	local ver=$1 dir="$INFLUX_CACHE/$1" tmp fv ldflags toolchain
	module_dir "$INFLUX_MODULE" "v$ver" || {
		note "cannot download $INFLUX_MODULE@v$ver"
		return 1
	}
	fv=$(awk -v m="$FLUX_MODULE" '$1 == m && $2 ~ /^v/ { print $2; exit } $1 == "require" && $2 == m { print $3; exit }' "$MODULE_DIR/go.mod")
	[[ -n "$fv" ]] || {
		note "no $FLUX_MODULE in $MODULE_DIR/go.mod"
		return 1
	}
	note "influxdb v$ver requires flux $fv"
	# The Go release the module declares (its toolchain line, else its go line):
	# GOTOOLCHAIN fetches it through the module proxy, so influxd is built with
	# the compiler upstream tested rather than whatever Go this machine has.
	toolchain=$(awk '$1 == "toolchain" { print $2; exit }' "$MODULE_DIR/go.mod")
	[[ -n "$toolchain" ]] || toolchain=go$(awk '$1 == "go" { print $2; exit }' "$MODULE_DIR/go.mod")
	[[ "$toolchain" =~ ^go[0-9]+\.[0-9]+ ]] || {
		note "cannot read the Go version from $MODULE_DIR/go.mod"
		return 1
	}
	note "influxdb v$ver declares $toolchain"
	tmp=$(mktemp -d "$dir/tmp.XXXXXX")
	TMP_DIRS+=("$tmp")
	cp -R "$MODULE_DIR" "$tmp/src" && chmod -R u+w "$tmp/src" || return 1
	ldflags="-s -w -X main.version=v$ver -X main.commit=${MODULE_HASH:0:10} -X main.date=$(date -u +%FT%TZ)"
	build_libflux "$fv" || return 1
	PKG_CONFIG_PATH="$LIBFLUX_PREFIX/lib/pkgconfig" pkg-config --libs --cflags flux >>"$BUILD_LOG" 2>&1 || {
		note "pkg-config cannot read $LIBFLUX_PREFIX/lib/pkgconfig/flux.pc"
		return 1
	}
	run_step "go build influxd v$ver" \
		go_build_influxd "$tmp/src" "$LIBFLUX_PREFIX/lib/pkgconfig" "$tmp/influxd" "$ldflags" "$toolchain" || return 1
	"$tmp/influxd" version >>"$BUILD_LOG" 2>&1 || {
		note "the built influxd does not run"
		return 1
	}
	mkdir -p "$dir/bin" || return 1
	mv -f "$tmp/influxd" "$dir/bin/influxd.new" && mv -f "$dir/bin/influxd.new" "$dir/bin/influxd" || return 1
	printf '%s\n' "$toolchain" >"$dir/bin/toolchain" || return 1
	rm -rf "$tmp"
}

kill_tree() { # PID: the process and its descendants
	local c
	for c in $(child_pids "$1"); do kill_tree "$c"; done
	kill -TERM "$1" 2>/dev/null || true
}

cleanup_build() {
	local d
	if [[ -n "${STEP_PID:-}" ]]; then
		note "interrupted: stopping the build step and removing its temp dirs"
		kill_tree "$STEP_PID"
		wait "$STEP_PID" 2>/dev/null || true
	fi
	for d in "${TMP_DIRS[@]}"; do
		rm -rf "$d"
	done
}

cmd_build() {
	local bin v start=$SECONDS
	if bin=$(find_binary); then
		note "influxd already built: $bin"
		return 0
	fi
	mkdir -p "$INFLUX_CACHE"
	# One build at a time per cache (a second caller waits, then finds the binary).
	exec 9>"$INFLUX_CACHE/.build.lock"
	if command -v flock >/dev/null 2>&1; then
		flock -n 9 || {
			note "another build holds $INFLUX_CACHE/.build.lock; waiting"
			flock 9
		}
	fi
	if bin=$(find_binary); then
		note "influxd already built: $bin"
		return 0
	fi
	# Leftovers of interrupted builds (we hold the lock, so nobody uses them).
	rm -rf "$INFLUX_CACHE"/*/tmp.* "$INFLUX_CACHE"/libflux/*/tmp.* "$INFLUX_CACHE"/libflux/tmp.* 2>/dev/null || true
	TMP_DIRS=()
	STEP_PID=
	trap 'cleanup_build' EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	for v in $INFLUXDB_VERSIONS; do
		mkdir -p "$INFLUX_CACHE/$v"
		BUILD_LOG="$INFLUX_CACHE/$v/build.log"
		: >"$BUILD_LOG"
		ensure_build_tools
		note "building influxd v$v into $INFLUX_CACHE/$v (log: $BUILD_LOG)"
		if build_version "$v"; then
			note "built $INFLUX_CACHE/$v/bin/influxd in $(((SECONDS - start) / 60))m$(((SECONDS - start) % 60))s"
			"$INFLUX_CACHE/$v/bin/influxd" version
			return 0
		fi
		note "build of v$v failed; see $BUILD_LOG"
	done
	die "could not build any of: $INFLUXDB_VERSIONS"
}

cmd_bin() {
	find_binary || die "influxd not built; run: $0 build"
}

# ---------------------------------------------------------------- server

health() {
	curl -fsS --max-time 2 "$INFLUX_URL/health" >/dev/null 2>&1
}

# The pid in the pidfile (the `timeout` wrapper around influxd) if it is alive.
running_pid() {
	local pid state
	[[ -f "$PID_FILE" ]] || return 1
	pid=$(<"$PID_FILE")
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	[[ -r "/proc/$pid/stat" ]] || return 1
	state=$(sed 's/^.*) //' "/proc/$pid/stat" | cut -d' ' -f1)
	[[ "$state" != Z ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q influxd || return 1
	printf '%s\n' "$pid"
}

alive() { # PID (not a zombie)
	local state
	[[ -r "/proc/$1/stat" ]] || return 1
	state=$(sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1)
	[[ -n "$state" && "$state" != Z ]]
}

child_pids() { # PID
	local c
	for c in /proc/[0-9]*/stat; do
		c=${c#/proc/}
		c=${c%/stat}
		[[ "$(sed 's/^.*) //' "/proc/$c/stat" 2>/dev/null | cut -d' ' -f2)" == "$1" ]] && printf '%s\n' "$c"
	done
	return 0
}

new_token() {
	if command -v openssl >/dev/null 2>&1; then
		openssl rand -hex 32
	else
		od -An -N32 -tx1 /dev/urandom | tr -d ' \n'
		echo
	fi
}

cmd_start() {
	local bin pid started token body resp code i
	command -v curl >/dev/null 2>&1 || die "curl is required"
	bin=$(find_binary) || {
		note "influxd not built yet; building first"
		"$0" build
		bin=$(find_binary) || die "build did not produce influxd"
	}
	if pid=$(running_pid); then
		note "already running (pid $pid) on $INFLUX_URL; restarting with a fresh data directory"
		cmd_stop
	fi
	if health || (exec 3<>"/dev/tcp/$INFLUX_HOST/$INFLUX_PORT") 2>/dev/null; then
		die "port $INFLUX_PORT on $INFLUX_HOST is taken by another process; set INFLUX_PORT"
	fi
	mkdir -p "$SAG_STATE"
	rm -rf "$DATA_DIR"
	mkdir -p "$DATA_DIR"
	rm -f "$PID_FILE"
	if [[ -f "$ENV_FILE" ]] && grep -qx "INFLUX_URL=$INFLUX_URL" "$ENV_FILE"; then
		rm -f "$ENV_FILE"
	fi

	started=$SECONDS
	# influxd reads ./config.{json,toml,yaml,yml} and INFLUXD_* variables: run it in
	# the fresh data dir without any inherited INFLUXD_* settings.
	(
		cd "$DATA_DIR"
		while read -r v; do unset "$v"; done < <(compgen -e | grep '^INFLUXD_' || true)
		# `timeout` puts itself in its own process group (so ^C of the caller does
		# not reach it), passes the signals it gets on to influxd, and ends a
		# forgotten server. influxd shuts down cleanly on SIGINT only (SIGTERM
		# kills it outright), hence -s INT here and in `stop`.
		exec nohup timeout -s INT --kill-after=30 "$SERVICE_TTL" "$bin" \
			--http-bind-address "$INFLUX_HOST:$INFLUX_PORT" \
			--reporting-disabled \
			--bolt-path "$DATA_DIR/influxd.bolt" \
			--engine-path "$DATA_DIR/engine" \
			--sqlite-path "$DATA_DIR/influxd.sqlite" \
			--log-level "${INFLUX_LOG_LEVEL:-info}" \
			>"$LOG_FILE" 2>&1 </dev/null
	) &
	pid=$!
	printf '%s\n' "$pid" >"$PID_FILE"
	note "started $bin (pid $pid, ttl ${SERVICE_TTL}s), log: $LOG_FILE"

	for ((i = 0; i < INFLUX_START_TIMEOUT * 5; i++)); do
		health && break
		if ! alive "$pid"; then
			tail -n 30 "$LOG_FILE" >&2 || true
			rm -f "$PID_FILE"
			die "influxd exited during startup (log: $LOG_FILE)"
		fi
		sleep 0.2
	done
	if ! health; then
		tail -n 30 "$LOG_FILE" >&2 || true
		cmd_stop || true
		die "no /health from $INFLUX_URL after ${INFLUX_START_TIMEOUT}s"
	fi

	token=$(new_token)
	body=$(printf '{"username":"%s","password":"%s","org":"%s","bucket":"%s","token":"%s"}' \
		"$INFLUX_USER" "$INFLUX_PASSWORD" "$INFLUX_ORG" "$INFLUX_BUCKET" "$token")
	# The body (with the token) goes through stdin, not the command line.
	resp=$(curl -sS -w '\n%{http_code}' --max-time 30 -H 'Content-Type: application/json' \
		-X POST --data-binary @- "$INFLUX_URL/api/v2/setup" <<<"$body") || resp=$'\n000'
	code=${resp##*$'\n'}
	if [[ "$code" != 201 ]]; then
		printf '%s\n' "${resp%$'\n'*}" >&2
		cmd_stop || true
		die "onboarding (POST /api/v2/setup) answered HTTP $code"
	fi

	umask 077
	cat >"$ENV_FILE.tmp" <<EOF
INFLUX_URL=$INFLUX_URL
INFLUX_TOKEN=$token
INFLUX_ORG=$INFLUX_ORG
INFLUX_BUCKET=$INFLUX_BUCKET
EOF
	mv -f "$ENV_FILE.tmp" "$ENV_FILE"
	note "healthy and onboarded in $((SECONDS - started))s: $INFLUX_URL (org $INFLUX_ORG, bucket $INFLUX_BUCKET)"
	note "env: $ENV_FILE"
}

cmd_stop() {
	local pid p i kids
	if ! pid=$(running_pid); then
		rm -f "$PID_FILE"
		if health; then
			die "something answers on $INFLUX_URL but it is not ours (no live pid in $PID_FILE)"
		fi
		note "not running"
		return 0
	fi
	kids=$(child_pids "$pid")
	note "stopping pid $pid"
	kill -INT "$pid" 2>/dev/null || true
	for ((i = 0; i < 150; i++)); do
		alive "$pid" || break
		((i == 75)) && kill -TERM "$pid" 2>/dev/null
		sleep 0.2
	done
	if alive "$pid"; then
		note "still alive after 30s; killing"
		for p in $kids $pid; do kill -KILL "$p" 2>/dev/null || true; done
		sleep 0.5
	fi
	for p in $kids; do
		for ((i = 0; i < 50; i++)); do
			alive "$p" || break
			sleep 0.2
		done
		if alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
	done
	alive "$pid" && die "pid $pid did not exit"
	rm -f "$PID_FILE"
	if [[ -f "$ENV_FILE" ]] && grep -qx "INFLUX_URL=$INFLUX_URL" "$ENV_FILE"; then
		rm -f "$ENV_FILE"
	fi
	note "stopped"
}

cmd_status() {
	local pid
	if pid=$(running_pid); then
		if health; then
			note "running (pid $pid): $INFLUX_URL (env: $ENV_FILE)"
			return 0
		fi
		note "process $pid alive but $INFLUX_URL does not answer /health"
		return 1
	fi
	if health; then
		note "not ours, but something answers /health on $INFLUX_URL"
		return 0
	fi
	note "not running ($INFLUX_URL)"
	return 3
}

usage() {
	sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
}

case "${1:-}" in
build) cmd_build ;;
start) cmd_start ;;
stop) cmd_stop ;;
restart) cmd_start ;;
status) cmd_status ;;
env) printf '%s\n' "$ENV_FILE" ;;
bin) cmd_bin ;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
