#!/bin/sh
# A git repository holding the e2e test package "app" (tests/e2e/packages/app-VERSION) for the
# sync tests: DIR/work (a working copy) and DIR/repo.git (the bare repository the tests install
# from, directly as file:// or through a server). Each command commits and pushes, and prints
# the new commit id.
#   app_repo.sh init DIR                 app/ at 0.1.0, values.yaml; tag v0.1.0 on main
#   app_repo.sh version DIR VERSION      app/ becomes app-VERSION; tag vVERSION
#   app_repo.sh put DIR PATH TEXT        write PATH (printf's escapes in TEXT)
#   app_repo.sh rm DIR PATH              remove PATH
#   app_repo.sh branch DIR NAME          create branch NAME at main (in repo.git)
#   app_repo.sh drop-branch DIR NAME     delete branch NAME from repo.git
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cmd=$1 D=$2
shift 2
W=$D/work
export GIT_AUTHOR_NAME=kudoc GIT_AUTHOR_EMAIL=kudoc@example.invalid
export GIT_COMMITTER_NAME=kudoc GIT_COMMITTER_EMAIL=kudoc@example.invalid
export GIT_CONFIG_NOSYSTEM=1 HOME=$D

app() { # VERSION
	rm -rf "$W/app"
	mkdir -p "$W/app"
	cp -r "$ROOT/tests/e2e/packages/app-$1/." "$W/app/"
}

commit() { # MESSAGE
	git -C "$W" add -A
	git -C "$W" commit -qm "$1"
	git -C "$W" push -q origin HEAD:main
}

case $cmd in
init)
	mkdir -p "$D"
	git init -q -b main "$W"
	app 0.1.0
	printf 'greeting: from-git\nreplicas: 1\n' >"$W/values.yaml"
	git -C "$W" add -A
	git -C "$W" commit -qm "app 0.1.0"
	git -C "$W" tag v0.1.0
	git init -q --bare -b main "$D/repo.git"
	git -C "$W" remote add origin "$D/repo.git"
	git -C "$W" push -q origin main v0.1.0
	;;
version)
	app "$1"
	commit "app $1"
	git -C "$W" tag "v$1"
	git -C "$W" push -q origin "v$1"
	;;
put)
	mkdir -p "$(dirname "$W/$1")"
	printf "$2" >"$W/$1"
	commit "put $1"
	;;
rm)
	git -C "$W" rm -rq "$1"
	commit "remove $1"
	;;
branch)
	git -C "$D/repo.git" branch "$1" main
	git -C "$D/repo.git" rev-parse "$1"
	exit 0
	;;
drop-branch)
	git -C "$D/repo.git" branch -D "$1" >/dev/null
	exit 0
	;;
*)
	echo "app_repo.sh: unknown command $cmd" >&2
	exit 2
	;;
esac
git -C "$W" rev-parse HEAD
