#!/bin/sh
# Differential check: renders every tests/tpl/<case>/template.tpl (with data.json when present)
# with the Go reference and with CMD, and reports cases whose output or success differ.
#   tests/goref/diff.sh [-v] CMD [CASE_GLOB]
# CMD is run as `CMD TEMPLATE [DATA_JSON]` and must print the rendered text to stdout and exit
# non-zero on error (as run.sh does). Cases with a file named `nondeterministic` are skipped,
# and so are cases with a file named `go_differs`: kudoc differs from Go there on purpose (a
# limit Go does not have, a NUL byte kudoc refuses to carry), and the file says why; the unit
# runner checks kudoc's side.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
verbose=0
if [ "${1:-}" = "-v" ]; then verbose=1; shift; fi
if [ $# -lt 1 ]; then
	echo "usage: $0 [-v] CMD [CASE_GLOB]" >&2
	exit 2
fi
cmd=$1
glob=${2:-*}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0 skip=0 differs=0
for dir in "$root"/tests/tpl/$glob/; do
	[ -f "$dir/template.tpl" ] || continue
	name=$(basename "$dir")
	if [ -f "$dir/nondeterministic" ]; then skip=$((skip + 1)); continue; fi
	if [ -f "$dir/go_differs" ]; then
		if [ ! -s "$dir/go_differs" ]; then
			echo "DIFF $name: go_differs must say why"
			fail=$((fail + 1))
		else
			differs=$((differs + 1))
		fi
		continue
	fi
	set -- "$dir/template.tpl"
	[ -f "$dir/data.json" ] && set -- "$@" "$dir/data.json"
	GOREF_NAME=template.tpl "$here/run.sh" "$@" >"$tmp/go.out" 2>"$tmp/go.err"; grc=$?
	GOREF_NAME=template.tpl $cmd "$@" >"$tmp/kd.out" 2>"$tmp/kd.err"; krc=$?
	[ $grc -ne 0 ] && grc=1
	[ $krc -ne 0 ] && krc=1
	if [ $grc -eq $krc ] && { [ $grc -ne 0 ] || cmp -s "$tmp/go.out" "$tmp/kd.out"; }; then
		pass=$((pass + 1))
		continue
	fi
	fail=$((fail + 1))
	echo "DIFF $name (go exit $grc, kudoc exit $krc)"
	if [ $verbose -eq 1 ]; then
		diff "$tmp/go.out" "$tmp/kd.out" | head -20
		[ -s "$tmp/go.err" ] && sed 's/^/  go: /' "$tmp/go.err" | head -3
		[ -s "$tmp/kd.err" ] && sed 's/^/  kudoc: /' "$tmp/kd.err" | head -3
	fi
done
[ $skip -gt 0 ] && echo "($skip cases with random or time-dependent output are checked by the unit runner only)"
[ $differs -gt 0 ] && echo "($differs cases where kudoc differs from Go on purpose, each saying why in go_differs)"
echo "$pass passed, $fail failed"
[ $fail -eq 0 ]
