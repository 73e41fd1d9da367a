#!/usr/bin/env bash
# Builds what a real node runs: kubelet (from the k8s.io/kubernetes release the control plane uses,
# pinned in kubelet/go.mod) and containerd v2 with its runc shim and ctr (pinned in
# containerd/go.mod), once per go.mod/go.sum content, into
# ${XDG_CACHE_HOME:-~/.cache}/tsvirt/kubelet/<k8s>-<containerd>-<hash>/bin. runc and the CNI plugins
# come from Debian (hack/install-deps.sh). Prints the bin folder as the last line of stdout.
# Go is only the build tool: tsvirt has no product code in Go.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$here"

fail() {
  echo "kubelet/build.sh: $*" >&2
  exit 1
}

module_version() {
  # "require M V" on one line or "M V" inside a require block.
  awk -v m="$2" '($1 == m && $2 ~ /^v/) { print $2; exit } ($1 == "require" && $2 == m) { print $3; exit }' "$1/go.mod"
}

k8s_version="$(module_version kubelet k8s.io/kubernetes)"
containerd_version="$(module_version containerd github.com/containerd/containerd/v2)"
[[ -n "$k8s_version" && -n "$containerd_version" ]] || fail "could not read the kubelet and containerd versions from $here/*/go.mod"

# The key covers both modules: a changed dependency is a new build, never a stale binary.
key="$(cat kubelet/go.mod kubelet/go.sum containerd/go.mod containerd/go.sum | sha256sum | cut -c1-12)"
cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/tsvirt/kubelet"
out="$cache_root/${k8s_version}-${containerd_version}-${key}"
bin="$out/bin"
binaries=(kubelet containerd containerd-shim-runc-v2 ctr)

all_present() {
  local b
  for b in "${binaries[@]}"; do [[ -x "$bin/$b" ]] || return 1; done
}

if all_present; then
  echo "kubelet/build.sh: reusing $bin" >&2
  echo "$bin"
  exit 0
fi

command -v go >/dev/null 2>&1 || fail "Go is not installed or not on PATH. Install Go >= $(awk '$1 == "go" { print $2 }' kubelet/go.mod) (https://go.dev/dl/) and run this again."
export GOFLAGS=-mod=mod GOTOOLCHAIN=local CGO_ENABLED=0

minor="${k8s_version#v1.}"
minor="${minor%%.*}"
k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  k8s_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
ctr_ldflags="-s -w -X github.com/containerd/containerd/v2/version.Version=$containerd_version"

tmp="$(mktemp -d "$cache_root.tmp.XXXXXX" 2>/dev/null || { mkdir -p "$cache_root" && mktemp -d "$cache_root.tmp.XXXXXX"; })"
trap 'rm -rf "$tmp"' EXIT
echo "kubelet/build.sh: building kubelet $k8s_version and containerd $containerd_version into $bin (cold: several minutes on 2 cores)" >&2
start=$SECONDS
(cd kubelet && go build -trimpath -ldflags "$k8s_ldflags" -o "$tmp/" k8s.io/kubernetes/cmd/kubelet >&2) ||
  fail "go build of kubelet failed (output above); check access to the Go module proxy ($(go env GOPROXY))"
# The tags drop snapshotters that need cgo or kernel features this machine lacks.
(cd containerd && go build -trimpath -tags 'no_btrfs no_devmapper no_zfs no_aufs' -ldflags "$ctr_ldflags" -o "$tmp/" \
  github.com/containerd/containerd/v2/cmd/containerd \
  github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
  github.com/containerd/containerd/v2/cmd/ctr >&2) ||
  fail "go build of containerd failed (output above); check access to the Go module proxy ($(go env GOPROXY))"
mkdir -p "$out"
rm -rf "$bin"
chmod 755 "$tmp"
mv "$tmp" "$bin"
trap - EXIT
echo "kubelet/build.sh: built in $((SECONDS - start)) s" >&2
echo "$bin"
