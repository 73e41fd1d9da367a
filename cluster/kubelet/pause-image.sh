#!/usr/bin/env bash
# cluster/kubelet/pause-image.sh OUT.tar NAME: the Pod sandbox image, built here because no public
# registry is reachable: Debian's static catatonit in pause mode (-P: sleep, reap, exit on
# SIGTERM/SIGINT), in an OCI image made from scratch with umoci, written as an OCI archive that
# `ctr images import` reads. Fixed timestamps: the same catatonit gives the same digest.
set -euo pipefail
out="$1"
tag="${2##*:}"
command -v umoci >/dev/null || { echo "pause-image.sh: umoci is missing (apt-get install umoci)" >&2; exit 1; }
[[ -x /usr/bin/catatonit ]] || { echo "pause-image.sh: /usr/bin/catatonit is missing (apt-get install catatonit)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
epoch=1970-01-01T00:00:00Z
umoci init --layout "$work/oci"
umoci new --image "$work/oci:$tag"
umoci unpack --uid-map 0:0:1 --gid-map 0:0:1 --image "$work/oci:$tag" "$work/bundle" >/dev/null
install -m 0755 /usr/bin/catatonit "$work/bundle/rootfs/pause"
touch -h -d "$epoch" "$work/bundle/rootfs/pause" "$work/bundle/rootfs"
umoci repack --no-history --image "$work/oci:$tag" "$work/bundle"
umoci config --no-history --image "$work/oci:$tag" --created "$epoch" \
  --config.entrypoint /pause --config.entrypoint -P --config.user 65535:65535
umoci gc --layout "$work/oci"
tar --sort=name --mtime="$epoch" --owner=0 --group=0 --numeric-owner -C "$work/oci" -cf "$out" .
