#!/usr/bin/env bash
# Whole-process figures, the way a user or a CI job runs kubectl-kudo (./dev bench runs this):
# for each case, the CPU time of a fresh `kubectl-kudo template` process against the Go
# reference's, run alternately (kudoc-pairbench: medians and the median of the paired ratios),
# then kudoc's instruction count under callgrind, the stable figure (it does not move with the
# machine's load; CPU times do).
#   tests/bench/whole.sh KUBECTL_KUDO PAIRBENCH
# The reference is KUDO 0.19 itself when the repository has it (tests/kudoref: KUDO's reader,
# parameter checks, engine and YamlToObject, one process per render as `template` is); else
# Go's text/template + sprig (tests/goref), which renders one template file and decodes nothing,
# so only the one-template case can be paired with it. KUDOC_BENCH_RUNS pairs per case (21).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
kudo=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
pair=$2
tplrun=$(dirname "$pair")/kudoc-tplrun # kudoc's template engine alone, for the goref pairing
runs=${KUDOC_BENCH_RUNS:-21}
cache=${XDG_CACHE_HOME:-$HOME/.cache}/kudoc
GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The reference's binary, as its run.sh names it in the cache (run.sh builds it first); the
# check below makes sure it is the one run.sh runs.
ref_kind=
if [ -x "$root/tests/kudoref/run.sh" ]; then
	ref_kind=kudo
	ref_sh=$root/tests/kudoref/run.sh
	"$ref_sh" render "$root/tests/render/spark-ha" >"$tmp/ref-check-sh.json"
	hash=$({ cat "$root/tests/kudoref/main.go" "$root/tests/kudoref/go.mod" "$root/tests/kudoref/go.sum"
		GOTOOLCHAIN=local "$GO" env GOVERSION GOOS GOARCH; } | sha256sum | cut -c1-16)
	ref_bin=$cache/kudoref/$hash/kudoref
	echo "reference: KUDO 0.19's renderer (tests/kudoref: reader, parameters, engine, YamlToObject)"
else
	ref_kind=tpl
	ref_sh=$root/tests/goref/run.sh
	printf 'x' >"$tmp/x.tpl"
	"$ref_sh" "$tmp/x.tpl" >/dev/null
	hash=$(cat "$root/tests/goref/main.go" "$root/tests/goref/go.mod" "$root/tests/goref/go.sum" | sha256sum | cut -c1-16)
	ref_bin=$cache/goref/$hash/goref
	echo "reference: Go text/template + sprig (tests/goref; tests/kudoref, KUDO's own renderer, is not in this tree:"
	echo "  only the one-template case is paired, and Go decodes nothing there)"
fi
[ -x "$ref_bin" ] || { echo "bench: no reference binary at $ref_bin (has run.sh changed its cache?)" >&2; exit 1; }
if [ $ref_kind = kudo ]; then
	"$ref_bin" render "$root/tests/render/spark-ha" >"$tmp/ref-check-bin.json"
	cmp -s "$tmp/ref-check-sh.json" "$tmp/ref-check-bin.json" ||
		{ echo "bench: $ref_bin does not render as tests/kudoref/run.sh does" >&2; exit 1; }
fi

echo "machine: $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1);" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg) at the start"
echo "kudoc: $kudo ($("$kudo" version | head -1))"
echo

# A case folder as tests/render has them (package.path relative to it, args one per line),
# which kudoref renders; KARGS gets the same arguments for kubectl-kudo.
mk_case() { # NAME PACKAGE_DIR ARGS...
	local d=$tmp/case-$1 pkg=$2
	shift 2
	mkdir -p "$d"
	realpath --relative-to="$d" "$pkg" >"$d/package.path"
	: >"$d/args"
	for a in "$@"; do printf '%s\n' "$a" >>"$d/args"; done
}

# The 400 KB-CRD package: one template, both Spark CRDs (402 KB of YAML) without the package's
# createCRDs condition around them, nothing else.
crd=$tmp/crd400
mkdir -p "$crd/templates"
grep -v '{{' "$root/packages/spark/templates/crds/sparkapplications.yaml" >"$crd/templates/crds.yaml"
printf -- '---\n' >>"$crd/templates/crds.yaml"
grep -v '{{' "$root/packages/spark/templates/crds/scheduledsparkapplications.yaml" >>"$crd/templates/crds.yaml"
cat >"$crd/operator.yaml" <<'EOF'
apiVersion: kudo.dev/v1beta1
name: crds
operatorVersion: 1.0.0
tasks:
  - name: crds
    kind: Apply
    spec:
      resources: [crds.yaml]
plans:
  deploy:
    strategy: serial
    phases:
      - name: crds
        strategy: serial
        steps:
          - name: crds
            tasks: [crds]
EOF
printf 'apiVersion: kudo.dev/v1beta1\nparameters: []\n' >"$crd/params.yaml"

spark=$root/packages/spark
ha=(-n spark-operator -p replicas=3 -p enableLeaderElection=true)
mk_case spark-ha "$spark" "${ha[@]}"
mk_case spark-ha-no-crds "$spark" "${ha[@]}" -p createCRDs=false
mk_case crd400 "$crd"

instr() { # ARGS...: kudoc's instruction count (callgrind), or "-" without valgrind
	if command -v valgrind >/dev/null 2>&1; then
		valgrind --tool=callgrind --callgrind-out-file=/dev/null "$kudo" "$@" 2>&1 >/dev/null |
			sed -n 's/.*Collected : *//p' | awk '{printf "%.1f M", $1 / 1e6}'
	else
		echo "- (no valgrind)"
	fi
}

bench_case() { # NAME LABEL PACKAGE ARGS...
	local name=$1 label=$2 pkg=$3
	shift 3
	"$kudo" template "$pkg" "$@" >"$tmp/kd.out"
	if [ $ref_kind = kudo ]; then
		"$ref_bin" render "$tmp/case-$name" >"$tmp/ref.out"
		grep -q '"ok": true' "$tmp/ref.out" || { echo "bench: the reference refuses $name:" >&2; head -5 "$tmp/ref.out" >&2; exit 1; }
		"$pair" "$runs" "$label" -- "$ref_bin" render "$tmp/case-$name" -- "$kudo" template "$pkg" "$@"
	elif [ "$name" = crd400 ]; then
		# the template engines alone: Go's against kudoc's (kudoc-tplrun), on the same file
		"$pair" "$runs" "$label: the template engines only (goref against kudoc-tplrun)" -- "$ref_bin" "$crd/templates/crds.yaml" -- "$tplrun" "$crd/templates/crds.yaml"
		"$pair" "$runs" "$label: goref against the whole kubectl-kudo template (which also decodes)" -- "$ref_bin" "$crd/templates/crds.yaml" -- "$kudo" template "$pkg" "$@"
	else
		echo "$label"
		echo "  (not paired: needs tests/kudoref)"
	fi
	echo "  kudoc instructions: $(instr template "$pkg" "$@"); output $(wc -c <"$tmp/kd.out") bytes"
}

bench_case spark-ha "Spark, HA as documented (template spark ${ha[*]}), CRDs included" "$spark" "${ha[@]}"
bench_case spark-ha-no-crds "Spark, HA without the CRDs (-p createCRDs=false, the spark-ha render case)" "$spark" "${ha[@]}" -p createCRDs=false
bench_case crd400 "a package of one 402 KB CRD file" "$crd"
echo "kubectl-kudo version"
echo "  kudoc instructions: $(instr version)"
echo
echo "machine load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"
