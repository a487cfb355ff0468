#!/bin/sh
# Renders every template of packages/spark with Go's text/template + sprig v2.22.0 (tests/goref,
# what KUDO 0.19 runs) and with kudoc's engine (zig-out/bin/kudoc-tplrun), for several parameter
# sets, and reports any template whose output or success differ. The parameter sets include
# every failure of templates/validation.yaml, so KUDO refuses exactly what kudoc refuses.
#   tests/tools/spark_goref_diff.sh [-v]
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
tplrun=$root/zig-out/bin/kudoc-tplrun
goref=$root/tests/goref/run.sh
pkg=$root/packages/spark
verbose=0
[ "${1:-}" = "-v" ] && verbose=1
[ -x "$tplrun" ] || { echo "build first: zig build" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# One parameter set per line: space-separated name=value overrides ("-" for the defaults).
cat >"$tmp/sets" <<'EOF'
-
replicas=3 enableLeaderElection=true
replicas=3 enableLeaderElection=True enableBatchScheduler=1 sparkJobNamespace=spark-jobs
enableWebhook=true enableMetrics=false createRBAC=false createCRDs=false
leaderElectionLeaseDuration=1m30s leaderElectionRenewDeadline=89.5s leaderElectionRetryPeriod=500ms enableLeaderElection=true
leaderElectionLeaseDuration=15000ms leaderElectionRenewDeadline=14999999µs leaderElectionRetryPeriod=.5s
leaderElectionRetryPeriod=11.666666666s
leaderElectionRetryPeriod=11.666666667s
leaderElectionLeaseDuration=15
leaderElectionLeaseDuration=24h0m0.000000001s leaderElectionRenewDeadline=1h
leaderElectionLeaseDuration=10s
leaderElectionRetryPeriod=0s
leaderElectionRetryPeriod=-4s
replicas=2
replicas=-1
leaderElectionLockNamespace=Spark_Ops
leaderElectionLockName=lock..name
sparkJobNamespace=jobs.example
sparkServiceAccountName=Spark
metricsPort=70000
webhookPort=10254 enableWebhook=true
controllerThreads=0
EOF

pass=0 fail=0 n=0
while IFS= read -r set; do
	n=$((n + 1))
	python3 - "$pkg" "$set" >"$tmp/data.json" <<'PY' || exit 2
import json, sys, yaml
pkg, overrides = sys.argv[1], sys.argv[2]
params = {}
for p in yaml.safe_load(open(pkg + "/params.yaml"))["parameters"]:
    d = p.get("default")
    kind = p.get("type", "string")
    if kind in ("array", "map"):
        params[p["name"]] = json.loads(json.dumps(d), parse_int=float)
    elif isinstance(d, bool):
        params[p["name"]] = "true" if d else "false"
    else:
        params[p["name"]] = "" if d is None else str(d)
if overrides != "-":
    for kv in overrides.split():
        k, v = kv.split("=", 1)
        params[k] = v
op = yaml.safe_load(open(pkg + "/operator.yaml"))
print(json.dumps({"Name": "spark-instance", "Namespace": "spark-operator", "OperatorName": op["name"],
                  "OperatorVersion": op["operatorVersion"], "AppVersion": op["appVersion"],
                  "PlanName": "deploy", "PhaseName": "operator", "StepName": "operator",
                  "Params": params, "Pipes": {}}))
PY
	for t in $(cd "$pkg/templates" && find . -name '*.yaml' | sed 's|^\./||' | sort); do
		GOREF_NAME=$t "$goref" "$pkg/templates/$t" "$tmp/data.json" >"$tmp/go.out" 2>"$tmp/go.err"; grc=$?
		GOREF_NAME=$t "$tplrun" "$pkg/templates/$t" "$tmp/data.json" >"$tmp/kd.out" 2>"$tmp/kd.err"; krc=$?
		[ $grc -ne 0 ] && grc=1
		[ $krc -ne 0 ] && krc=1
		if [ $grc -eq $krc ] && cmp -s "$tmp/go.out" "$tmp/kd.out" &&
			{ [ $grc -eq 0 ] || [ "$(sed 's/.*error calling fail: //' "$tmp/go.err")" = "$(sed 's/.*error calling fail: //' "$tmp/kd.err")" ]; }; then
			pass=$((pass + 1))
			[ $verbose -eq 1 ] && [ $grc -ne 0 ] && echo "set $n ($set) $t: both refuse: $(sed 's/.*error calling fail: //' "$tmp/kd.err")"
			continue
		fi
		fail=$((fail + 1))
		echo "DIFF set $n ($set) $t (go exit $grc, kudoc exit $krc)"
		diff "$tmp/go.out" "$tmp/kd.out" | head -10
		sed 's/^/  go: /' "$tmp/go.err" | head -3
		sed 's/^/  kudoc: /' "$tmp/kd.err" | head -3
	done
done <"$tmp/sets"
echo "$pass agree, $fail differ"
[ $fail -eq 0 ]
