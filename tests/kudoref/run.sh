#!/bin/sh
# kudoref: KUDO 0.19 itself as the oracle for whole packages (see main.go). Built once per
# version of its sources (and of Go) into the user's cache; a cold build fetches KUDO's modules
# from the Go module proxy and takes a few minutes, a warm run starts at once.
#   tests/kudoref/run.sh render CASE_DIR               KUDO's objects for one case, as JSON
#   tests/kudoref/run.sh compare [-v] KUDOC CASE_DIR... kudoc's objects against KUDO's
#   tests/kudoref/run.sh suite [-v] KUDOC               every tests/render case (./dev test)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go
hash=$({ cat "$here/main.go" "$here/go.mod" "$here/go.sum"; GOTOOLCHAIN=local "$GO" env GOVERSION GOOS GOARCH; } |
	sha256sum | cut -c1-16)
cache=${XDG_CACHE_HOME:-$HOME/.cache}/kudoc/kudoref
dir=$cache/$hash
bin=$dir/kudoref
if [ ! -x "$bin" ]; then
	mkdir -p "$dir"
	(
		flock 9
		if [ ! -x "$bin" ]; then
			echo "kudoref: building $bin (KUDO v0.19.0 and its modules; minutes when cold)" >&2
			(cd "$here" && GOFLAGS=-mod=readonly GOTOOLCHAIN=local "$GO" build -trimpath -o "$dir/kudoref.tmp" .) >&2
			mv -f "$dir/kudoref.tmp" "$bin"
			# keep the three most recent builds
			ls -1dt "$cache"/*/ 2>/dev/null | tail -n +4 | while read -r old; do
				[ "${old%/}" != "$dir" ] && rm -rf "${old%/}"
			done
		fi
	) 9>"$dir/.lock"
fi
if [ "${1:-}" = suite ]; then
	shift
	v=
	if [ "${1:-}" = -v ]; then v=-v; shift; fi
	[ $# -eq 1 ] || { echo "usage: $0 suite [-v] KUDOC" >&2; exit 2; }
	exec "$bin" compare $v "$1" "$root"/tests/render/*/
fi
exec "$bin" "$@"
