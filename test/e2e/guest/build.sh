#!/usr/bin/env bash
# Builds the tiny e2e guest (a Debian cloud kernel plus a busybox initramfs) from Debian packages only.
#
# Output: ${XDG_CACHE_HOME:-$HOME/.cache}/tsvirt/guest/<inputs hash>/{vmlinuz,initrd.img}, with
# `current` pointing at the newest build. The hash covers this script (it embeds /init) and the
# package versions, so the guest is rebuilt only when one of them changes.
# As root it also installs a copy at ${TSVIRT_GUEST_INSTALL_DIR:-/var/lib/tsvirt/guest}: QEMU runs as
# libvirt-qemu under the system libvirtd and cannot read a kernel under /root/.cache.
# stdout: the output folder, one line. Progress goes to stderr.
set -euo pipefail

readonly META_PACKAGE=linux-image-cloud-amd64
readonly BUSYBOX_PACKAGE=busybox-static
readonly MODULES=(evdev button) # the ACPI power button reaches acpid through these
# The guest agent stand-in's (kernel command line `tsvirt.agent`): its virtio-serial port and the
# NIC whose MAC it reports. This kernel builds all of them as modules; insmod order is dependency
# order (the files get a numeric prefix), loaded only when the stand-in runs.
readonly AGENT_MODULES=(virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci virtio_console
  failover net_failover virtio_net)
readonly SCRIPT="${BASH_SOURCE[0]}"

log() { printf '%s\n' "$*" >&2; }

# The meta package's candidate depends on exactly one kernel image package at an exact version:
# prints "<package> <version>", e.g. "linux-image-6.1.0-56-cloud-amd64 6.1.192-2".
resolve_kernel() {
  apt-cache show --no-all-versions "$META_PACKAGE" 2>/dev/null |
    sed -n 's/^Depends: .*\(linux-image-[0-9][^ ,]*\) (= \([^)]*\)).*$/\1 \2/p' | head -n1
}

candidate_version() {
  apt-cache policy "$1" | sed -n 's/^ *Candidate: //p'
}

inputs_hash() {
  { cat "$SCRIPT"; printf '%s\n' "$@"; } | sha256sum | cut -c1-16
}

extract_module() { # root kver name dest
  local found
  found="$(find "$1/lib/modules/$2/kernel" -name "$3.ko" -o -name "$3.ko.xz" -o -name "$3.ko.zst" | head -n1)"
  [[ -n "$found" ]] || { log "module $3 not found in kernel $2"; exit 1; }
  case "$found" in
    *.ko.xz) xz -dc "$found" >"$4/$3.ko" ;;
    *.ko.zst) zstd -qdc "$found" >"$4/$3.ko" ;;
    *) cp "$found" "$4/$3.ko" ;;
  esac
}

write_init() { # dest
  cat >"$1/init" <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s
export PATH=/sbin:/bin:/usr/sbin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
for m in /lib/modules/*.ko; do insmod "$m"; done
acpid -c /etc/acpi -a /etc/acpid.conf -l /var/log/acpid.log
case " $(cat /proc/cmdline) " in *" tsvirt.agent "*) /sbin/tsvirt-agent </dev/null >/var/log/tsvirt-agent.log 2>&1 & ;; esac
echo "TSVIRT-GUEST-READY $(uname -r)"
# With tsvirt.counter on the command line (test/e2e/migration.test.ts), a numbered line every 200 ms:
# a live migration must carry the count on, never restart it. Other guests keep a quiet console.
case " $(cat /proc/cmdline) " in
*" tsvirt.counter "*) (n=0; while :; do n=$((n + 1)); echo "TSVIRT-COUNT $n"; usleep 200000; done) & ;;
esac
trap 'sync; poweroff -f' USR1 USR2
trap 'sync; reboot -f' TERM
# The console shell is a child that comes back when it ends (exit, Ctrl-D from a console client):
# were it PID 1, its end would panic the kernel. `wait` returns at once on a trapped signal, so
# busybox's plain poweroff/reboot (signals to PID 1) work while a shell runs.
while :; do
  setsid cttyhack sh &
  wait $!
done
INIT
  chmod 0755 "$1/init"
}

# PID 1 is /init (a shell), not busybox init: busybox's plain poweroff, reboot and halt only signal
# PID 1, so /init traps those signals.
write_power_scripts() { # dest
  mkdir -p "$1/etc/acpi" "$1/var/log"
  printf 'PWRF power.sh\nPWRB power.sh\n' >"$1/etc/acpid.conf"
  printf '#!/bin/sh\nsync\npoweroff -f\n' >"$1/etc/acpi/power.sh"
  chmod 0755 "$1/etc/acpi/power.sh"
}

# A guest agent stand-in for the e2e tests (the real qemu-ga needs glib and a distribution): one
# command per line from libvirt on the virtio-serial port, the answers qemu-ga would give. libvirt
# syncs before each command (guest-sync, id echoed; guest-sync-delimited puts 0xFF first, so the
# host can find where the answer starts); guest-shutdown answers nothing on success, as qemu-ga,
# and libvirt waits for QEMU's SHUTDOWN or RESET event instead. Its one console line (quiet
# otherwise) says which shutdown it was asked for: the e2e tests tell agent from ACPI by it.
write_agent() { # dest
  cat >"$1/sbin/tsvirt-agent" <<'AGENT'
#!/bin/sh
readonly PORT_NAME=org.qemu.guest_agent.0
readonly TEST_IF='"name":"agent0","hardware-address":"02:00:00:00:a9:e1","ip-addresses":[{"ip-address-type":"ipv4","ip-address":"192.0.2.15","prefix":24}]'
for m in /lib/modules/agent/*.ko; do insmod "$m"; done
port=
for _ in $(seq 50); do
  for p in /sys/class/virtio-ports/*; do [ "$(cat "$p/name" 2>/dev/null)" = "$PORT_NAME" ] && port="/dev/${p##*/}"; done
  [ -n "$port" ] && [ -e "$port" ] && break
  sleep 0.1
done
[ -n "$port" ] || { echo "no virtio port $PORT_NAME"; exit 1; }
mkdir -p /dev/virtio-ports && ln -sf "$port" "/dev/virtio-ports/$PORT_NAME"
ip link set eth0 up 2>/dev/null
interfaces() {
  printf '{"return":[{"name":"lo","hardware-address":"00:00:00:00:00:00","ip-addresses":[{"ip-address-type":"ipv4","ip-address":"127.0.0.1","prefix":8}]}'
  [ -e /sys/class/net/eth0/address ] &&
    printf ',{"name":"eth0","hardware-address":"%s","ip-addresses":[{"ip-address-type":"ipv4","ip-address":"10.0.2.2","prefix":24}]}' "$(cat /sys/class/net/eth0/address)"
  printf ',{%s}]}\n' "$TEST_IF"
}
answer() { # one command line
  local id
  id="${1##*\"id\":}" && id="${id# }" && id="${id%%[!0-9]*}"
  case "$1" in
    *'"guest-sync-delimited"'*) printf '\377{"return": %s}\n' "$id" ;;
    *'"guest-sync"'*) printf '{"return": %s}\n' "$id" ;;
    *'"guest-ping"'*) printf '{"return": {}}\n' ;;
    *'"guest-info"'*)
      printf '{"return":{"version":"tsvirt-agent-stand-in","supported_commands":['
      printf '{"name":"%s","enabled":true,"success-response":true},' guest-sync guest-sync-delimited guest-ping guest-info guest-get-osinfo
      printf '{"name":"guest-network-get-interfaces","enabled":true,"success-response":true},'
      printf '{"name":"guest-shutdown","enabled":true,"success-response":false}]}}\n' ;;
    *'"guest-get-osinfo"'*)
      printf '{"return":{"id":"tsvirt-tiny","name":"tsvirt tiny guest","pretty-name":"tsvirt tiny guest (busybox)","version":"1","version-id":"1","kernel-release":"%s","kernel-version":"%s","machine":"%s"}}\n' \
        "$(uname -r)" "$(uname -v)" "$(uname -m)" ;;
    *'"guest-network-get-interfaces"'*) interfaces ;;
    *'"guest-shutdown"'*'"reboot"'*) echo "TSVIRT-AGENT guest-shutdown mode=reboot" >/dev/console; sync; reboot -f ;;
    *'"guest-shutdown"'*) echo "TSVIRT-AGENT guest-shutdown mode=powerdown" >/dev/console; sync; poweroff -f ;;
    *) printf '{"error":{"class":"CommandNotFound","desc":"The command %s has not been found"}}\n' \
      "$(echo "$1" | sed -n 's/.*"execute" *: *"\([^"]*\)".*/\1/p')" ;;
  esac
}
exec 3<>"$port"
# A read returns at once (end of file) while no host side is connected: wait and read again.
while :; do
  if IFS= read -r line <&3; then answer "$line" >&3; else sleep 1; fi
done
AGENT
  chmod 0755 "$1/sbin/tsvirt-agent"
}

build_guest() { # out kernel-package=version release busybox-version
  local work="$1.work" root
  rm -rf "$work" "$1.tmp"
  mkdir -p "$work"
  (cd "$work" && apt-get -qq -o APT::Sandbox::User=root download "$2" "$BUSYBOX_PACKAGE=$4" >&2)
  mkdir "$work/kernel" "$work/busybox"
  dpkg-deb -x "$work/${2%%=*}"_*.deb "$work/kernel"
  dpkg-deb -x "$work/$BUSYBOX_PACKAGE"_*.deb "$work/busybox"
  root="$work/initramfs"
  mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,lib/modules,tmp}
  cp "$work/busybox/bin/busybox" "$root/bin/busybox"
  for m in "${MODULES[@]}"; do extract_module "$work/kernel" "$3" "$m" "$root/lib/modules"; done
  mkdir -p "$root/lib/modules/agent"
  local i=10
  for m in "${AGENT_MODULES[@]}"; do
    extract_module "$work/kernel" "$3" "$m" "$root/lib/modules/agent" && mv "$root/lib/modules/agent/$m.ko" "$root/lib/modules/agent/$i-$m.ko"
    i=$((i + 1))
  done
  write_init "$root"
  write_agent "$root"
  write_power_scripts "$root"
  mkdir -p "$1.tmp"
  cp "$work/kernel/boot/vmlinuz-$3" "$1.tmp/vmlinuz"
  (cd "$root" && find . -print0 | LC_ALL=C sort -z |
    cpio --null --quiet -o -H newc -R 0:0 --reproducible | gzip -9n) >"$1.tmp/initrd.img"
  chmod 0644 "$1.tmp/vmlinuz" "$1.tmp/initrd.img"
  printf '%s\n' "kernel=$2" "release=$3" "busybox=$4" >"$1.tmp/inputs"
  mv -T "$1.tmp" "$1"
  rm -rf "$work"
}

install_copy() { # out
  local dest="${TSVIRT_GUEST_INSTALL_DIR:-/var/lib/tsvirt/guest}"
  if ! mkdir -p "$dest" 2>/dev/null || [[ ! -w "$dest" ]]; then
    log "skipped the copy to $dest (not writable); run as root to install it there"
    return 0
  fi
  local f
  for f in vmlinuz initrd.img inputs; do
    cmp -s "$1/$f" "$dest/$f" && continue
    cp "$1/$f" "$dest/.$f.tmp" && mv -f "$dest/.$f.tmp" "$dest/$f" # rename: a running QEMU keeps its open copy
  done
  chmod 0755 "$dest"
  log "installed the guest at $dest"
}

main() {
  local kernel
  kernel="$(resolve_kernel)"
  if [[ -z "$kernel" ]]; then
    log "apt knows no candidate of $META_PACKAGE, running apt-get update"
    apt-get update -qq >&2
    kernel="$(resolve_kernel)"
    [[ -n "$kernel" ]] || { log "could not resolve the kernel package $META_PACKAGE depends on"; exit 1; }
  fi
  local kpkg="${kernel% *}" kpkg_version="${kernel#* }" bbver hash cache out
  bbver="$(candidate_version "$BUSYBOX_PACKAGE")"
  hash="$(inputs_hash "$kpkg=$kpkg_version" "$BUSYBOX_PACKAGE=$bbver")"
  cache="${XDG_CACHE_HOME:-$HOME/.cache}/tsvirt/guest"
  out="$cache/$hash"
  mkdir -p "$cache"
  exec 9>"$cache/.lock"
  flock 9 # two builds at once would race on $out.tmp
  if [[ -f "$out/vmlinuz" && -f "$out/initrd.img" ]]; then
    log "guest for $kpkg $kpkg_version is up to date"
  else
    log "building the guest from $kpkg $kpkg_version and $BUSYBOX_PACKAGE $bbver"
    build_guest "$out" "$kpkg=$kpkg_version" "${kpkg#linux-image-}" "$bbver"
  fi
  ln -sfn "$hash" "$cache/.current.tmp" && mv -T "$cache/.current.tmp" "$cache/current"
  if [[ $EUID -eq 0 || -n "${TSVIRT_GUEST_INSTALL_DIR:-}" ]]; then install_copy "$out"; fi
  printf '%s\n' "$out"
}

main "$@"
