#!/usr/bin/env bash
# npm run images [-- --push REGISTRY]: one OCI image per component (virt-controller, virt-api,
# virt-handler, virt-launcher), built here from Debian packages and this tree's bundles, with no
# public container registry:
#   - a root file system from Debian bookworm (mmdebstrap --variant=extract: the packages and their
#     dependencies, unpacked, no maintainer scripts), cached per package list;
#   - the pinned Node (node_modules/node) as /usr/local/bin/node, the component's bundle from
#     dist/ under /opt/tsvirt (the handler also gets @unraid/libvirt, whose native addon cannot be
#     bundled);
#   - user 65532 (nonroot) except the handler, which drives the node's libvirt as root.
# Reproducible: every file's time is SOURCE_DATE_EPOCH (0), layers are written in name order, no
# history, fixed creation time: the same inputs give the same digests. Each image lands as an OCI
# layout in dist/images/<component> tagged with package.json's version; --push REGISTRY copies them
# to REGISTRY/tsvirt/<component>:<version> (plain HTTP, the local cluster's registry) with skopeo,
# which keeps the digests. Prints `<component> <digest> <size>` per image on stdout.
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"

log() { printf 'images: %s\n' "$*" >&2; }
fail() { log "$*"; exit 1; }

push=""
while (($#)); do
  case "$1" in
    --push) push="${2:?--push needs a registry, e.g. 127.0.0.1:5000}"; shift 2 ;;
    *) fail "unknown argument $1 (usage: npm run images [-- --push REGISTRY])" ;;
  esac
done

for tool in mmdebstrap umoci skopeo; do
  command -v "$tool" >/dev/null || fail "$tool is missing: apt-get install $tool (hack/install-deps.sh installs it)"
done
[[ "$(id -u)" -eq 0 ]] || fail "needs root: the root file systems keep their owners (mmdebstrap, umoci unpack)"

version="v$(node_modules/.bin/node -p 'require("./package.json").version')"
export SOURCE_DATE_EPOCH=0
epoch=1970-01-01T00:00:00Z
suite=bookworm
mirror="${TSVIRT_DEBIAN_MIRROR:-http://deb.debian.org/debian}"

# What every Node process needs at run time (ldd of the pinned node), and what the handler runs:
# libvirt's client library (the binding) and virsh, qemu-img (overlays, empty disks), xorriso
# (cloud-init ISOs), skopeo and umoci (containerDisk pulls), CA certificates (registries over TLS).
BASE_PACKAGES=(libc6 libstdc++6 libgcc-s1)
HANDLER_PACKAGES=("${BASE_PACKAGES[@]}" libvirt0 libvirt-clients qemu-utils xorriso skopeo umoci ca-certificates)

cache="${XDG_CACHE_HOME:-$HOME/.cache}/tsvirt/image-rootfs"
mkdir -p "$cache"

# A root file system tarball per package list; the key is the list, the suite and the mirror.
rootfs() {
  local key out
  key="$(printf '%s\n' "$suite" "$mirror" "$@" | sha256sum | cut -c1-16)"
  out="$cache/$key.tar"
  if [[ ! -f "$out" ]]; then
    log "mmdebstrap $suite: $*"
    mmdebstrap --quiet --variant=extract --include="$(IFS=,; echo "$*")" \
      --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
      "$suite" "$out.part.tar" "$mirror" >&2
    mv "$out.part.tar" "$out"
  fi
  echo "$out"
}

[[ -f dist/virt-controller.js && -f dist/virt-handler.js && -f dist/virt-api.js && -f dist/virt-launcher.cjs ]] ||
  npm run --silent build
base_tar="$(rootfs "${BASE_PACKAGES[@]}")"
handler_tar="$(rootfs "${HANDLER_PACKAGES[@]}")"
node_bin="$(readlink -f node_modules/.bin/node)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p dist/images

# build COMPONENT ROOTFS_TAR USER FILE...: FILE is a path under dist/ or node_modules/.
build() {
  local name="$1" tar="$2" user="$3" entry="$4"
  shift 3
  local layout="dist/images/$name" bundle="$work/$name"
  rm -rf "$layout"
  umoci init --layout "$layout"
  umoci new --image "$layout:$version"
  umoci unpack --image "$layout:$version" "$bundle" >/dev/null
  local root="$bundle/rootfs"
  # Device nodes and apt's leftovers are no part of an image: the runtime makes /dev.
  tar -C "$root" -xf "$tar" --exclude=./dev/* --exclude=./var/cache/apt/* --exclude=./var/lib/apt/lists/* \
    --exclude=./var/log/* --exclude=./etc/apt/*
  install -D -m 0755 "$node_bin" "$root/usr/local/bin/node"
  mkdir -p "$root/opt/tsvirt" "$root/tmp" "$root/etc"
  chmod 1777 "$root/tmp"
  local f
  for f in "$@"; do
    case "$f" in
      dist/*) install -D -m 0644 "$f" "$root/opt/tsvirt/${f#dist/}" ;;
      node_modules/*) mkdir -p "$root/opt/tsvirt/$(dirname "$f")" && cp -a "$f" "$root/opt/tsvirt/$(dirname "$f")/" ;;
    esac
  done
  # The bundles are ESM; the package.json beside them says so to node.
  install -m 0644 dist/package.json "$root/opt/tsvirt/package.json"
  printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nnonroot:x:65532:65532:nonroot:/nonexistent:/usr/sbin/nologin\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnonroot:x:65532:\n' >"$root/etc/group"
  find "$root" -exec touch -h -d "$epoch" {} +
  umoci repack --no-history --image "$layout:$version" "$bundle"
  umoci config --no-history --image "$layout:$version" --created "$epoch" --author tsvirt \
    --config.user "$user" --config.workingdir /opt/tsvirt \
    --config.env PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin --config.env NODE_ENV=production \
    --config.entrypoint /usr/local/bin/node --config.entrypoint "/opt/tsvirt/$(basename "$entry")" \
    --config.label "org.opencontainers.image.version=$version" \
    --config.label "org.opencontainers.image.title=$name" \
    --config.label "org.opencontainers.image.source=https://github.com/tsvirt/tsvirt"
  umoci gc --layout "$layout"
  rm -rf "$bundle"
  local digest size
  digest="$(node_modules/.bin/node -p 'JSON.parse(require("fs").readFileSync(process.argv[1] + "/index.json","utf8")).manifests[0].digest' "$layout")"
  size="$(du -sb "$layout/blobs" | cut -f1)"
  echo "$name $digest $size"
  if [[ -n "$push" ]]; then
    skopeo copy --quiet --dest-tls-verify=false "oci:$layout:$version" "docker://$push/tsvirt/$name:$version" >&2
  fi
}

# The fourth argument (the first file) is the entrypoint's bundle.
build virt-controller "$base_tar" 65532:65532 dist/virt-controller.js
build virt-api "$base_tar" 65532:65532 dist/virt-api.js
build virt-launcher "$base_tar" 65532:65532 dist/virt-launcher.cjs
# @unraid/libvirt's run-time files only: its ESM, its compiled addon, and xml2js with its two dependencies.
build virt-handler "$handler_tar" 0:0 dist/virt-handler.js node_modules/@unraid/libvirt/package.json \
  node_modules/@unraid/libvirt/dist node_modules/@unraid/libvirt/build/Release/libvirt.node \
  node_modules/xml2js node_modules/sax node_modules/xmlbuilder
