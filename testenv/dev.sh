#!/usr/bin/env bash
# testenv/dev.sh: build and run kudoc's local Kubernetes test cluster.
#
#   testenv/dev.sh build                   build (or reuse) the testenv binary; prints its path last
#   testenv/dev.sh cluster up|down|status  manage the cluster in $KUDOC_TESTENV_DIR (default <repo>/.testenv)
#   testenv/dev.sh kubectl ARGS...         the real kubectl against that cluster
#   testenv/dev.sh test [GO TEST ARGS...]  run testenv's Go tests
#
# Can be executed, or sourced (then call: testenv_dev SUBCOMMAND ARGS...).
set -euo pipefail

TESTENV_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
TESTENV_REPO="$(cd "$TESTENV_SRC/.." && pwd)"

testenv_log() { printf 'testenv: %s\n' "$*" >&2; }

# testenv_go prints the path of a usable Go toolchain or fails with a clear error.
testenv_go() {
  local go
  go="$(command -v go 2>/dev/null || true)"
  if [ -z "$go" ] && [ -x /usr/local/go/bin/go ]; then go=/usr/local/go/bin/go; fi
  if [ -z "$go" ]; then
    echo "testenv: Go is not installed (need Go >= 1.26 on PATH or at /usr/local/go/bin/go);" \
         "the test cluster is built from the upstream Kubernetes Go modules" >&2
    return 1
  fi
  local v
  v="$(GOTOOLCHAIN=local "$go" env GOVERSION 2>/dev/null || true)"
  case "$v" in
    go1.2[6-9]*|go1.[3-9][0-9]*) ;;
    *) echo "testenv: $go is ${v:-unusable}; need Go >= 1.26 (k8s.io/kubernetes v1.37 requires it)" >&2; return 1 ;;
  esac
  printf '%s\n' "$go"
}

testenv_k8s_version() {
  awk '$1=="k8s.io/kubernetes"{print $2; exit}' "$TESTENV_SRC/go.mod"
}

# testenv_hash hashes everything that goes into the binary: module files,
# non-test Go sources, the Go version and the build flags.
testenv_hash() {
  local go="$1"
  (
    cd "$TESTENV_SRC"
    {
      find . -path ./e2e -prune -o -type f \( -name '*.go' -a ! -name '*_test.go' -o -name go.mod -o -name go.sum \) -print |
        LC_ALL=C sort | xargs sha256sum
      GOTOOLCHAIN=local "$go" env GOVERSION GOOS GOARCH
      echo "CGO_ENABLED=0 -trimpath $(testenv_ldflags)"
    } | sha256sum | cut -c1-32
  )
}

testenv_ldflags() {
  local v major minor rest
  v="$(testenv_k8s_version)"
  major="${v#v}"; major="${major%%.*}"
  rest="${v#v*.}"; minor="${rest%%.*}"
  printf '%s' "-s -w -X k8s.io/component-base/version.gitVersion=$v -X k8s.io/component-base/version.gitMajor=$major -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z -X k8s.io/client-go/pkg/version.gitVersion=$v -X k8s.io/client-go/pkg/version.gitMajor=$major -X k8s.io/client-go/pkg/version.gitMinor=$minor"
}

# testenv_build builds the binary into the per-user cache, keyed by the hash
# of its sources, unless it is already there; prints the path last.
testenv_build() {
  local go hash cache dir bin t0
  go="$(testenv_go)"
  hash="$(testenv_hash "$go")"
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/kudoc/testenv"
  dir="$cache/$hash"
  bin="$dir/testenv"
  if [ ! -x "$bin" ]; then
    mkdir -p "$dir"
    (
      flock 9
      if [ ! -x "$bin" ]; then
        testenv_log "building $bin (a cold build takes several minutes; Go caches make later builds fast)"
        t0=$(date +%s)
        (cd "$TESTENV_SRC" && CGO_ENABLED=0 GOTOOLCHAIN=local "$go" build -trimpath \
          -ldflags "$(testenv_ldflags)" -o "$dir/testenv.tmp" .) >&2
        mv -f "$dir/testenv.tmp" "$bin"
        testenv_log "built in $(( $(date +%s) - t0 ))s"
        # keep the three most recent builds
        ls -1dt "$cache"/*/ 2>/dev/null | tail -n +4 | while read -r old; do
          [ "${old%/}" != "$dir" ] && rm -rf "${old%/}"
        done
      fi
    ) 9>"$dir/.lock"
  fi
  printf '%s\n' "$bin"
}

testenv_dir() {
  printf '%s\n' "${KUDOC_TESTENV_DIR:-$TESTENV_REPO/.testenv}"
}

testenv_dev() {
  local cmd="${1:-help}"
  shift || true
  case "$cmd" in
    build)
      testenv_build
      ;;
    cluster)
      local sub="${1:-status}" bin
      shift || true
      case "$sub" in
        up|down|status) ;;
        *) echo "usage: testenv/dev.sh cluster up|down|status" >&2; return 2 ;;
      esac
      bin="$(testenv_build | tail -n1)"
      "$bin" "$sub" --dir "$(testenv_dir)" "$@"
      ;;
    kubectl)
      local bin kc
      bin="$(testenv_build | tail -n1)"
      kc="$(testenv_dir)/kubeconfig"
      if [ ! -f "$kc" ]; then
        echo "testenv: no cluster kubeconfig at $kc; run: ./dev cluster up" >&2
        return 1
      fi
      KUBECONFIG="$kc" "$bin" kubectl "$@"
      ;;
    test)
      local bin go
      go="$(testenv_go)"
      bin="$(testenv_build | tail -n1)"
      # only the packages with tests: the binary itself is built by "build";
      # -vet=off spares vet's pass over every Kubernetes dependency (run
      # "go vet ./..." in testenv/ for that)
      local pkgs=(./e2e/ ./internal/...)
      local a
      for a in "$@"; do case "$a" in ./*) pkgs=() ;; esac; done
      (cd "$TESTENV_SRC" && TESTENV_BIN="$bin" KUDOC_TESTENV_DIR="$(testenv_dir)" GOTOOLCHAIN=local CGO_ENABLED=0 \
        "$go" test -trimpath -vet=off -count=1 -timeout 15m "${pkgs[@]}" "$@")
      ;;
    help|-h|--help)
      sed -n '2,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
      ;;
    *)
      echo "testenv/dev.sh: unknown command '$cmd' (build | cluster up|down|status | kubectl ARGS | test)" >&2
      return 2
      ;;
  esac
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  testenv_dev "$@"
fi
