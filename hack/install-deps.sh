#!/usr/bin/env bash
# Installs what tsvirt needs on a fresh Debian machine, idempotently: Debian packages, npm
# dependencies (on the pinned Node 24), and the control plane binaries built from the official
# Kubernetes modules (cached under ~/.cache/tsvirt). A second run only checks and takes seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf 'install-deps: %s\n' "$*" >&2; }

# libvirt-dev and pkg-config: @unraid/libvirt compiles at npm ci. The rest: the real libvirt node,
# QEMU for the guest, HAProxy for --ha, busybox/cpio for the guest's initramfs, openssl for the PKI,
# tmux for the real-terminal test of kubectl virt view.
# containerDisks: docker-registry (the local registry), skopeo and umoci (the node's pulls),
# qemu-utils (overlays), xorriso (cloud-init ISOs), buildah (building images); the Debian guest
# (hack/guest-images.sh): mmdebstrap, fdisk, e2fsprogs, extlinux, syslinux-common; apache2-utils:
# htpasswd for the integration tests' password-protected registry. Real kubelet nodes
# (cluster/up.sh --kubelet): runc, containernetworking-plugins (CNI bridge, host-local, loopback),
# catatonit (the Pod sandbox's pause process), iptables (the teardown checks the kubelet's chains).
APT_PACKAGES=(runc containernetworking-plugins catatonit iptables libvirt-dev pkg-config libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients
  qemu-system-x86 haproxy busybox-static cpio openssl ca-certificates make g++ python3 socat tmux
  docker-registry skopeo umoci qemu-utils xorriso buildah mmdebstrap fdisk e2fsprogs extlinux
  syslinux-common apache2-utils)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  log "installing Debian packages: ${missing[*]}"
  sudo_cmd=(); [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

command -v go >/dev/null || { log "Go is missing: install Go 1.26 (it only builds the control plane binaries)"; exit 1; }
command -v npm >/dev/null || { log "npm is missing: install Node.js (any version; the project pins its own Node 24)"; exit 1; }

# npm ci only when package-lock.json changed since the last install.
stamp=node_modules/.tsvirt-lock-hash
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "npm ci"
  npm ci --no-audit --no-fund >&2
  echo "$want" >"$stamp"
fi

bash cluster/controlplane/build.sh >/dev/null
# kubelet and containerd for real nodes, cached like the control plane (cold: about 3 minutes).
bash cluster/kubelet/build.sh >/dev/null
