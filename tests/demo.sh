#!/usr/bin/env bash
# ./dev demo, for now: the test cluster up, the example package rendered offline, and the Spark
# operator in HA mode rendered and checked by the real kube-apiserver (server-side dry run).
# A later issue turns this into the real HA install with plan status and the leader check.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
KUDO=${1:-$ROOT/zig-out/bin/kubectl-kudo}
DIR=${KUDOC_TESTENV_DIR:-$ROOT/.testenv}

step() { printf '\n==> %s\n' "$*"; }

step "test cluster"
"$ROOT/testenv/dev.sh" cluster status >/dev/null 2>&1 || "$ROOT/testenv/dev.sh" cluster up
"$ROOT/testenv/dev.sh" kubectl get nodes

step "kubectl-kudo template tests/render/full-example/package --instance demo -n demo"
"$KUDO" template "$ROOT/tests/render/full-example/package" --instance demo -n demo

step "kubectl-kudo package verify packages/spark"
"$KUDO" package verify "$ROOT/packages/spark"

step "Spark operator, HA: rendered by kudoc, validated by the apiserver (server-side dry run)"
"$ROOT/testenv/dev.sh" kubectl create namespace spark-operator --dry-run=client -o yaml |
	"$ROOT/testenv/dev.sh" kubectl apply -f - >/dev/null
"$KUDO" template "$ROOT/packages/spark" --namespace=spark-operator \
	-p replicas=3 -p enableLeaderElection=true |
	"$ROOT/testenv/dev.sh" kubectl apply --dry-run=server -f -

printf '\nThe cluster keeps running: KUBECONFIG=%s, ./dev kubectl ..., ./dev cluster down to stop it.\n' "$DIR/kubeconfig"
