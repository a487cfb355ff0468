#!/bin/sh
# Renders TEMPLATE_FILE [DATA_JSON] with the Go reference (KUDO 0.19's template engine).
# The binary is built once per version of the sources, into the user's cache.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 TEMPLATE_FILE [DATA_JSON]" >&2
	exit 2
fi
GO=${GO:-go}
command -v "$GO" >/dev/null 2>&1 || GO=/usr/local/go/bin/go
hash=$(cat "$here/main.go" "$here/go.mod" "$here/go.sum" | sha256sum | cut -c1-16)
dir=${XDG_CACHE_HOME:-$HOME/.cache}/kudoc/goref/$hash
bin=$dir/goref
if [ ! -x "$bin" ]; then
	mkdir -p "$dir"
	tmp=$dir/goref.tmp.$$
	(cd "$here" && GOFLAGS=-mod=readonly "$GO" build -o "$tmp" .) >&2
	mv -f "$tmp" "$bin"
fi
exec "$bin" "$@"
