#!/bin/sh
# Builds the git repository the gitops tests fetch from: DIR/work (a working copy) and
# DIR/repo.git (a bare copy that the servers serve). History (main unless said):
#   c1  pkg/ at operatorVersion 0.1.0          tag v0.1.0 (annotated)
#   c2  pkg/ at 0.2.0, values/prod.yaml         tag v0.2.0 (lightweight)
#   c3  pkg/ at 1.0.0 (+ a gitlink pkg/vendored), nopkg/, evil/, linked/
#                                               tag v1.0.0; HEAD of main
#   c4  (branch dev) pkg/ at 1.1.0-rc.1         tag v1.1.0-rc.1
# Usage: make_repo.sh DIR
set -eu
D=$1
mkdir -p "$D"
W=$D/work
export GIT_AUTHOR_NAME=kudoc GIT_AUTHOR_EMAIL=kudoc@example.invalid
export GIT_COMMITTER_NAME=kudoc GIT_COMMITTER_EMAIL=kudoc@example.invalid
export GIT_CONFIG_NOSYSTEM=1 HOME=$D
git init -q -b main "$W"
cd "$W"
git config user.name kudoc
git config user.email kudoc@example.invalid

pkg() { # VERSION
	mkdir -p pkg/templates
	cat >pkg/operator.yaml <<Y
apiVersion: kudo.dev/v1beta1
name: gitpkg
operatorVersion: $1
appVersion: 2.0.0
tasks:
  - name: app
    kind: Apply
    spec:
      resources: [cm.yaml]
plans:
  deploy:
    strategy: serial
    phases:
      - name: main
        strategy: serial
        steps:
          - name: app
            tasks: [app]
Y
	cat >pkg/params.yaml <<'Y'
apiVersion: kudo.dev/v1beta1
parameters:
  - name: greeting
    default: hello
Y
	cat >pkg/templates/cm.yaml <<Y
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Name }}-cm
data:
  version: "$1"
  greeting: {{ .Params.greeting | quote }}
Y
	echo "ignored" >pkg/.hidden
}

at() { # N: a fixed date for commit N, so ids do not depend on the clock
	export GIT_AUTHOR_DATE="2024-01-0$1T00:00:00Z" GIT_COMMITTER_DATE="2024-01-0$1T00:00:00Z"
}

at 1; pkg 0.1.0
git add -A; git commit -qm c1; git tag -a -m "release 0.1.0" v0.1.0

at 2; pkg 0.2.0
mkdir -p values; printf 'greeting: from-git\n' >values/prod.yaml
git add -A; git commit -qm c2; git tag v0.2.0

at 3; pkg 1.0.0
mkdir -p nopkg; echo "not a package" >nopkg/README
cp -r pkg evil; ln -s ../../../../../etc/passwd evil/templates/leak.yaml
cp -r pkg linked; mv linked/templates/cm.yaml linked/real.yaml; ln -s ../real.yaml linked/templates/cm.yaml
ln -s ../pkg/params.yaml values/outside.yaml
git add -A
# a submodule (gitlink) inside the package, pointing at c1: never followed, never read
git update-index --add --cacheinfo "160000,$(git rev-parse v0.1.0^{commit}),pkg/vendored"
git commit -qm c3; git tag v1.0.0

at 4; git checkout -q -b dev; pkg 1.1.0-rc.1
git add -A; git commit -qm c4; git tag v1.1.0-rc.1
git checkout -q main

git clone -q --bare "$W" "$D/repo.git"
