#!/usr/bin/env bash
# helm for the project's chart checks (.ci/run "helm chart", docs/deploy.md):
# built from source with Go through the Go module proxy into a cache outside
# the work tree, once per machine and version. Prints the helm binary's path.
#
#   scripts/tools/helm.sh          build helm if it is not cached; print its path
#   scripts/tools/helm.sh path     print the cached path (fails if not built)
#
# Environment:
#   SAG_CACHE     cache root (default ~/.cache/session-analytics-gateway);
#                 the binary goes to $SAG_CACHE/helm/<version>/helm
#   HELM_VERSION  helm.sh/helm/v3 release to build (default v3.21.4)
#   GO            the go command (default: go on PATH, else /usr/local/go/bin/go)
#
# Progress goes to stderr; stdout holds only the path, so callers can write
# helm=$(bash scripts/tools/helm.sh).
set -euo pipefail

SAG_CACHE="${SAG_CACHE:-$HOME/.cache/session-analytics-gateway}"
HELM_VERSION="${HELM_VERSION:-v3.21.4}"

note() { printf '[helm] %s\n' "$*" >&2; }
die() { printf '[helm] error: %s\n' "$*" >&2; exit 1; }

[[ "$HELM_VERSION" =~ ^v3\.[0-9]+\.[0-9]+$ ]] || die "HELM_VERSION must look like v3.21.4, got '$HELM_VERSION'"

dir="$SAG_CACHE/helm/$HELM_VERSION"
bin="$dir/helm"

# A cached binary counts only when it runs and names the version asked for.
cached() {
	[[ -x "$bin" ]] && "$bin" version --short 2>/dev/null | grep -Eq "^$HELM_VERSION(\+|$)"
}

if [[ "${1:-}" == path ]]; then
	cached || die "helm $HELM_VERSION is not built; run: $0"
	printf '%s\n' "$bin"
	exit 0
fi
[[ -z "${1:-}" ]] || die "usage: $0 [path]"

if cached; then
	printf '%s\n' "$bin"
	exit 0
fi

GO="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
[[ -x "$GO" ]] || command -v "$GO" >/dev/null 2>&1 || die "no go command (set GO, or install Go)"

mkdir -p "$dir"
# One build at a time per version (a second caller waits, then finds it).
exec 9>"$dir/.build.lock"
if command -v flock >/dev/null 2>&1; then
	flock -n 9 || {
		note "another build holds $dir/.build.lock; waiting"
		flock 9
	}
fi
if cached; then
	printf '%s\n' "$bin"
	exit 0
fi

tmp=$(mktemp -d "$dir/tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
log="$dir/build.log"
note "building helm $HELM_VERSION with $("$GO" version) (log: $log)"
start=$SECONDS
# CGO off: a static binary that needs no C toolchain. The version and commit
# are what `helm version` shows (the Makefile of helm sets the same).
if ! CGO_ENABLED=0 GOBIN="$tmp" GOFLAGS="${GOFLAGS:-} -buildvcs=false" "$GO" install \
	-ldflags "-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION" \
	"helm.sh/helm/v3/cmd/helm@$HELM_VERSION" >"$log" 2>&1 </dev/null; then
	tail -n 30 "$log" >&2
	die "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed (log: $log)"
fi
mv -f "$tmp/helm" "$bin"
cached || die "the built $bin does not report $HELM_VERSION: $("$bin" version --short 2>&1 | head -n 1)"
note "built $bin in $((SECONDS - start))s"
printf '%s\n' "$bin"
