#!/usr/bin/env bash
# Builds test/forward/client (github.com/fluent/fluent-logger-golang, the
# version in its go.mod) into a cache outside the work tree and prints the
# binary's path. A cached build of the same version and source is reused.
# Modules come from the Go module proxy configured on the machine.
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
src="$root/test/forward/client"
go_bin="${GO:-$(command -v go || echo /usr/local/go/bin/go)}"
[ -x "$go_bin" ] || { echo "forward-client: go not found (set GO or install Go)" >&2; exit 1; }
version=$(awk '$1 == "require" && $2 == "github.com/fluent/fluent-logger-golang" { print $3 }' "$src/go.mod")
[ -n "$version" ] || { echo "forward-client: no fluent-logger-golang version in $src/go.mod" >&2; exit 1; }
# The source's own hash too, so that an edit of main.go builds again.
sum=$(cat "$src/main.go" "$src/go.mod" "$src/go.sum" | sha256sum | cut -c1-12)
cache="${SAG_CACHE:-$HOME/.cache/session-analytics-gateway}/forward-client/$version-$sum"
bin="$cache/forward-client"
if [ ! -x "$bin" ]; then
  mkdir -p "$cache"
  (cd "$src" && GOFLAGS="-mod=readonly -buildvcs=false" CGO_ENABLED=0 "$go_bin" build -trimpath -o "$bin.tmp" .) >&2
  mv "$bin.tmp" "$bin"
fi
echo "$bin"
