#!/usr/bin/env bash
# Builds the local control plane (kube-apiserver, kube-controller-manager, kube-scheduler, kubectl,
# etcd) from the official Go modules pinned in go.mod, once per go.mod/go.sum content.
# Prints the bin folder as the last line of stdout; everything else goes to stderr.
# Go is only the build tool: tsvirt has no product code in Go.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

fail() {
  echo "controlplane/build.sh: $*" >&2
  exit 1
}

module_version() {
  # The version of a required module as go.mod pins it, e.g. v1.36.3.
  awk -v m="$1" '$1 == m && $2 ~ /^v/ { print $2; exit }' go.mod
}

k8s_version="$(module_version k8s.io/kubernetes)"
etcd_version="$(module_version go.etcd.io/etcd/server/v3)"
[[ -n "$k8s_version" && -n "$etcd_version" ]] || fail "could not read the k8s.io/kubernetes and etcd versions from $here/go.mod"

# The key covers go.mod and go.sum: a changed dependency is a new build, never a stale binary.
key="$(cat go.mod go.sum | sha256sum | cut -c1-12)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/tsvirt/controlplane"
out="$cache_root/${k8s_version}-${etcd_version}-${key}"
bin="$out/bin"
binaries=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd)

all_present() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}

if all_present; then
  echo "controlplane/build.sh: reusing $bin" >&2
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "Go is not installed or not on PATH. Install Go >= $(awk '$1 == "go" { print $2 }' go.mod) (https://go.dev/dl/) and run this again."

export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

# Kubernetes binaries report their version from these variables; without them they say v0.0.0-master,
# and kubectl warns about version skew against a "master" server.
minor="${k8s_version#v1.}"
minor="${minor%%.*}"
build_date="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=$build_date"
done

# Build into a scratch folder and rename at the end, so an interrupted build never looks complete.
tmp="$(mktemp -d "$cache_root.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$cache_root" && mktemp -d "$cache_root.tmp.XXXXXX"; })"
trap 'rm -rf "$tmp"' EXIT
echo "controlplane/build.sh: building Kubernetes $k8s_version and etcd $etcd_version into $bin (a cold build takes about 5 minutes on 2 cores)" >&2
start=$SECONDS
if ! go build -trimpath -ldflags "$ldflags" -o "$tmp/" \
  k8s.io/kubernetes/cmd/kube-apiserver \
  k8s.io/kubernetes/cmd/kube-controller-manager \
  k8s.io/kubernetes/cmd/kube-scheduler \
  k8s.io/kubernetes/cmd/kubectl \
  go.etcd.io/etcd/server/v3 >&2; then
  fail "go build failed (output above). Check network access to the Go module proxy ($(go env GOPROXY)) and that Go $(go env GOVERSION) satisfies go.mod."
fi
# The etcd server module's main package is named after its folder.
mv "$tmp/server" "$tmp/etcd"
mkdir -p "$out"
rm -rf "$bin"
chmod 755 "$tmp"
mv "$tmp" "$bin"
trap - EXIT
echo "controlplane/build.sh: built in $((SECONDS - start)) s" >&2
echo "$bin"
