#!/usr/bin/env bash
# ./dev demo: the Spark operator installed in HA mode on the local test cluster, through the real
# kubectl with kubectl-kudo as its plugin, then what the Spark operator's HA documentation asks a
# user to check: the plan, the pods, the lock ConfigMap, the leader, and a failover.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KUDO=${1:-$ROOT/zig-out/bin/kubectl-kudo}
DIR=${KUDOC_TESTENV_DIR:-$ROOT/.testenv}
NS=spark-operator

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "the test cluster"
"$ROOT/testenv/dev.sh" cluster status >/dev/null 2>&1 || "$ROOT/testenv/dev.sh" cluster up
export KUBECONFIG=$DIR/kubeconfig

# kubectl finds plugins on PATH: kubectl-kudo in a folder of its own, first on PATH.
PLUGINS=$DIR/plugins
mkdir -p "$PLUGINS"
ln -sf "$KUDO" "$PLUGINS/kubectl-kudo"
if command -v kubectl >/dev/null 2>&1; then
	KUBECTL=$(command -v kubectl)
else
	# no kubectl on this machine: the test cluster's own (the real k8s.io/kubectl)
	TESTENV_BIN=$("$ROOT/testenv/dev.sh" build | tail -1)
	printf '#!/bin/sh\nexec "%s" kubectl "$@"\n' "$TESTENV_BIN" >"$PLUGINS/kubectl"
	chmod +x "$PLUGINS/kubectl"
	KUBECTL=$PLUGINS/kubectl
fi
export PATH="$PLUGINS:$PATH"
run() {
	printf '\033[2m$ %s\033[0m\n' "$*"
	"$@"
}

run kubectl kudo version
"$KUBECTL" get namespace "$NS" >/dev/null 2>&1 || run kubectl create namespace "$NS"
if "$KUDO" plan status --instance spark-instance -n "$NS" >/dev/null 2>&1; then
	step "an earlier demo's instance is still there: uninstalling it first"
	run kubectl kudo uninstall --instance spark-instance -n "$NS"
fi

step "install the Spark operator in HA mode"
run kubectl kudo install spark --namespace="$NS" -p replicas=3 -p enableLeaderElection=true

step "the plan"
run kubectl kudo plan status --instance spark-instance --namespace="$NS"

step "the operator's pods"
run kubectl get pods -n "$NS"

step "the leader-election lock"
run kubectl get configmaps spark-operator-lock -o yaml -n "$NS"

step "exactly one Ready replica holds a fresh lock"
run kubectl kudo verify leader --instance spark-instance --namespace="$NS"

step "failover: the leader's pod is deleted, another replica takes over"
run kubectl kudo verify leader --instance spark-instance --namespace="$NS" --failover

cat <<EOF

The cluster keeps running. To use it:
  export KUBECONFIG=$DIR/kubeconfig PATH=$PLUGINS:\$PATH
  kubectl kudo plan history --instance spark-instance -n $NS
  kubectl kudo update --instance spark-instance -n $NS -p replicas=5
  kubectl kudo uninstall --instance spark-instance -n $NS
Stop it with ./dev cluster down.
EOF
