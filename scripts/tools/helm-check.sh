#!/usr/bin/env bash
# Checks the Helm chart the way CI does (.ci/run step "helm chart"):
# `helm lint --strict` and `helm template` with each example values file,
# then a set of wrong values that must be refused, each for its own reason.
# helm comes from scripts/tools/helm.sh (built once, cached).
#
#   bash scripts/tools/helm-check.sh      exit 0 when every check passes
set -uo pipefail
cd "$(dirname "$0")/../.."
chart=deploy/helm/session-analytics-gateway
kube=1.30.0
helm=$(bash scripts/tools/helm.sh) || { echo "[helm-check] cannot build or find helm" >&2; exit 1; }
"$helm" version --short
failed=0
ok() { printf '[helm-check] ok: %s\n' "$*"; }
bad() { printf '[helm-check] FAILED: %s\n' "$*" >&2; failed=$((failed + 1)); }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

for f in "$chart"/examples/*.yaml; do
	name=$(basename "$f" .yaml)
	if "$helm" lint --strict "$chart" -f "$f" >"$out/lint-$name.txt" 2>&1; then
		ok "helm lint --strict -f examples/$name.yaml"
	else
		cat "$out/lint-$name.txt" >&2
		bad "helm lint --strict -f examples/$name.yaml"
	fi
	if "$helm" template sag "$chart" --namespace contrail-analytics --kube-version "$kube" -f "$f" >"$out/$name.yaml" 2>"$out/$name.err"; then
		ok "helm template -f examples/$name.yaml ($(grep -c '^kind:' "$out/$name.yaml") objects)"
	else
		cat "$out/$name.err" >&2
		bad "helm template -f examples/$name.yaml"
	fi
done

# refused EXPECTED-TEXT DESCRIPTION HELM-ARGS...: helm template must fail and
# say EXPECTED-TEXT (so it failed for this reason, not another).
refused() {
	local want=$1 what=$2
	shift 2
	if "$helm" template sag "$chart" --kube-version "$kube" "$@" >/dev/null 2>"$out/refused.err"; then
		bad "not refused: $what"
	elif grep -qF -- "$want" "$out/refused.err"; then
		ok "refused: $what"
	else
		cat "$out/refused.err" >&2
		bad "refused for another reason than '$want': $what"
	fi
}
# lint-refused DESCRIPTION HELM-ARGS...: helm lint --strict must fail too (the schema).
lint_refused() {
	local what=$1
	shift
	if "$helm" lint --strict "$chart" "$@" >"$out/lint-refused.txt" 2>&1; then
		bad "helm lint --strict accepted: $what"
	else
		ok "helm lint --strict refused: $what"
	fi
}
embedded=(-f "$chart/examples/embedded.yaml")
cn2=(-f "$chart/examples/cn2.yaml")
refused "want integer" 'replicaCount: "two"' "${embedded[@]}" --set-string replicaCount=two
lint_refused 'replicaCount: "two"' "${embedded[@]}" --set-string replicaCount=two
refused "/replicaCount" "the embedded store with replicaCount 2" "${embedded[@]}" --set replicaCount=2
lint_refused "the embedded store with replicaCount 2" "${embedded[@]}" --set replicaCount=2
refused "/autoscaling/enabled" "the embedded store with autoscaling" "${embedded[@]}" --set autoscaling.enabled=true
refused "/autoscaling/enabled" "InfluxDB sessions with duckdb UVEs and autoscaling" "${cn2[@]}" --set config.uveStore=duckdb
refused "additional properties 'replicas'" "an unknown key (replicas)" "${embedded[@]}" --set replicas=2
refused "/config/queryTimeout" "config.queryTimeout: 30sec" "${cn2[@]}" --set config.queryTimeout=30sec
refused "/config/sessionStore" "config.sessionStore: postgres" "${cn2[@]}" --set config.sessionStore=postgres
refused "/config/maxGroups" "config.maxGroups: 0" "${cn2[@]}" --set config.maxGroups=0
refused "/influxdb/token/existingSecret" "InfluxDB without the token's Secret" "${cn2[@]}" --set influxdb.token.existingSecret=
refused "/opensearch/url" "OpenSearch without a URL" "${cn2[@]}" --set opensearch.url=
refused "configure authentication" "no authentication (the chart's defaults)"
refused "auth.mode=none turns authentication off" "auth.mode=none with a tokens Secret" "${cn2[@]}" --set auth.mode=none
refused "terminationGracePeriodSeconds" "a grace period shorter than preStop + 15 s" "${cn2[@]}" --set terminationGracePeriodSeconds=20
refused "not both" "OpenSearch credentials and an API key" "${cn2[@]}" --set opensearch.apiKey.existingSecret=k
refused "needs config.sessionStore=influxdb" "a rollup Deployment on the embedded store" "${embedded[@]}" --set influxdb.rollupDeployment.enabled=true
refused "leave influxdb.rollup null" "a rollup Deployment with influxdb.rollup set" "${cn2[@]}" --set influxdb.rollup=true
refused "additional properties 'replicas'" "an unknown key of the rollup Deployment (replicas)" "${cn2[@]}" --set influxdb.rollupDeployment.replicas=2

if ((failed)); then
	printf '[helm-check] %d check(s) failed\n' "$failed" >&2
	exit 1
fi
echo "[helm-check] all checks passed"
