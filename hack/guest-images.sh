#!/usr/bin/env bash
# Builds the Debian 12 cloud guest as a containerDisk, from Debian packages only, and pushes it to
# the local cluster's registry when one runs.
#
#   hack/guest-images.sh            build (cached), then push to $TSVIRT_REGISTRY/tsvirt/debian:12
#   hack/guest-images.sh --no-push  build only
#
# The disk: mmdebstrap (bookworm: kernel, systemd with D-Bus for logind, cloud-init limited to
# NoCloud, openssh-server, qemu-guest-agent), one ext4 partition on an MBR table with extlinux as
# the boot loader, so it boots by itself (BIOS; no kernelBoot paths on the node). It is quiet: no
# NTP client, apt timers and other periodic units masked, no package lists, no SSH host keys
# (cloud-init makes them at first boot). Stored as a compressed qcow2: the node keeps it read-only
# as the overlays' backing file.
#
# Cache: ${XDG_CACHE_HOME:-$HOME/.cache}/tsvirt/guest-images/<inputs hash>/ holds disk.qcow2 and the
# OCI image (oci/, FROM scratch, the disk as /disk/debian-12.qcow2, as KubeVirt's containerDisks).
# The hash covers this script and the candidate versions of the packages installed, so a second run
# only pushes. stdout: the cache folder, one line. Progress goes to stderr.
set -euo pipefail

readonly SUITE=bookworm
# dbus: systemd-logind needs the system bus, and logind is what carries out qemu-ga's guest-shutdown
# (`shutdown -r +0` schedules through logind) and the ACPI power button; recommends are off, so
# nothing else brings it in.
readonly PACKAGES=(linux-image-cloud-amd64 systemd-sysv udev dbus cloud-init openssh-server qemu-guest-agent
  initramfs-tools zstd ca-certificates)
readonly DISK_SIZE=2G
readonly IMAGE_REPO=tsvirt/debian
readonly IMAGE_TAG=12
readonly SCRIPT="${BASH_SOURCE[0]}"
# Periodic or networked units a CI guest does not need; each costs boot time under TCG or sends traffic.
readonly MASKED_UNITS=(apt-daily.timer apt-daily-upgrade.timer apt-daily.service apt-daily-upgrade.service
  dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer systemd-timesyncd.service
  man-db.timer logrotate.timer systemd-tmpfiles-clean.timer cloud-init-hotplugd.socket)

log() { printf 'guest-images: %s\n' "$*" >&2; }

push=1
for a in "$@"; do
  case "$a" in
    --no-push) push=0 ;;
    -h | --help) sed -n '2,18p' "$SCRIPT" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) log "unknown argument $a (try --help)"; exit 2 ;;
  esac
done

[[ "$(id -u)" -eq 0 ]] || { log "needs root (a loop device and a mount build the boot loader)"; exit 1; }
for tool in mmdebstrap qemu-img sfdisk extlinux skopeo buildah; do
  command -v "$tool" >/dev/null || { log "$tool is missing: run hack/install-deps.sh"; exit 1; }
done

# One apt-cache call for all packages (one each costs seconds on a loaded machine): "pkg: version" lines.
inputs_hash() {
  {
    cat "$SCRIPT"
    apt-cache policy "${PACKAGES[@]}" | sed -n -e 's/^\([^ ].*\):$/\1/p' -e 's/^ *Candidate: //p' | paste -d' ' - -
  } | sha256sum | cut -c1-16
}

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/tsvirt/guest-images"
hash="$(inputs_hash)"
out="$cache_root/$hash"

write_config() { # rootfs uuid
  local root="$1" uuid="$2" u
  cat >"$root/etc/cloud/cloud.cfg.d/90-tsvirt.cfg" <<'CFG'
# tsvirt: the VM's cloud-init comes from the NoCloud ISO (label cidata) the node attaches; nothing
# is looked up on the network.
datasource_list: [NoCloud, None]
ssh_genkeytypes: [ed25519]
ntp:
  enabled: false
apt_preserve_sources_list: true
system_info:
  network:
    renderers: [networkd]
# Only the modules a CI guest uses: each one costs seconds of Python under TCG, and the rest
# (growpart, resizefs, locale, apt, ntp, package updates) would fail here or reach the network.
cloud_init_modules: [seed_random, bootcmd, write_files, set_hostname, update_hostname, update_etc_hosts,
  users_groups, ssh]
cloud_config_modules: [set_passwords, runcmd]
cloud_final_modules: [scripts_per_once, scripts_per_boot, scripts_per_instance, scripts_user, final_message]
CFG
  printf 'UUID=%s / ext4 defaults,errors=remount-ro 0 1\n' "$uuid" >"$root/etc/fstab"
  : >"$root/etc/machine-id"
  rm -f "$root"/etc/ssh/ssh_host_* "$root"/var/lib/apt/lists/*_* "$root"/var/cache/apt/*.bin
  for u in "${MASKED_UNITS[@]}"; do ln -sf /dev/null "$root/etc/systemd/system/$u"; done
  ln -sf /lib/systemd/system/systemd-networkd.service "$root/etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
  ln -sf /lib/systemd/system/serial-getty@.service "$root/etc/systemd/system/getty.target.wants/serial-getty@ttyS0.service"
}

write_extlinux() { # rootfs uuid
  local root="$1" uuid="$2" kernel initrd
  kernel="$(cd "$root/boot" && ls vmlinuz-* | head -n1)"
  initrd="$(cd "$root/boot" && ls initrd.img-* | head -n1)"
  mkdir -p "$root/boot/extlinux"
  cat >"$root/boot/extlinux/extlinux.conf" <<CONF
DEFAULT debian
TIMEOUT 0
PROMPT 0
LABEL debian
  LINUX /boot/$kernel
  INITRD /boot/$initrd
  APPEND root=UUID=$uuid ro console=ttyS0 quiet systemd.show_status=auto
CONF
}

build_disk() { # workdir
  local work="$1" root="$1/rootfs" raw="$1/disk.raw" uuid loop mnt="$1/mnt"
  uuid="$(printf '%s' "$hash" | sha256sum | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12}).*/\1-\2-\3-\4-\5/')"
  log "mmdebstrap $SUITE: ${PACKAGES[*]}"
  mmdebstrap --variant=apt --include="$(IFS=,; echo "${PACKAGES[*]}")" \
    --aptopt='APT::Install-Recommends "false"' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-include=/usr/share/doc/*/copyright' --dpkgopt='path-exclude=/usr/share/locale/*' \
    --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook='chroot "$1" systemctl enable cloud-init-local.service cloud-init.service cloud-config.service cloud-final.service qemu-guest-agent.service ssh.service >/dev/null 2>&1 || true' \
    "$SUITE" "$root" >&2
  write_config "$root" "$uuid"
  write_extlinux "$root" "$uuid"
  truncate -s "$DISK_SIZE" "$raw"
  printf 'label: dos\nstart=2048, type=83, bootable\n' | sfdisk -q "$raw"
  # The partition as its own loop device (an offset): containers get no partition nodes (loopNp1).
  loop="$(losetup --find --show --offset $((2048 * 512)) "$raw")"
  # Whatever happens next, the loop device and the mount go away again.
  trap 'umount "'"$mnt"'" 2>/dev/null || true; losetup -d "'"$loop"'" 2>/dev/null || true' EXIT
  mkfs.ext4 -q -U "$uuid" -L debian-root "$loop"
  mkdir -p "$mnt"
  mount "$loop" "$mnt"
  cp -a "$root"/. "$mnt"/
  extlinux --install "$mnt/boot/extlinux" >/dev/null 2>&1
  umount "$mnt"
  losetup -d "$loop"
  trap - EXIT
  dd if=/usr/lib/syslinux/mbr/mbr.bin of="$raw" bs=440 count=1 conv=notrunc status=none
  qemu-img convert -c -O qcow2 "$raw" "$work/disk.qcow2"
}

build_oci() { # workdir
  local work="$1" store="$1/containers" ctr
  local b=(buildah --root "$store/root" --runroot "$store/run" --storage-driver vfs)
  ctr="$("${b[@]}" from scratch)"
  "${b[@]}" copy --chmod 0444 "$ctr" "$work/disk.qcow2" /disk/debian-12.qcow2 >/dev/null
  "${b[@]}" config --label org.opencontainers.image.title="tsvirt Debian 12 cloud guest" "$ctr"
  "${b[@]}" commit --quiet --format oci "$ctr" "oci:$work/oci:$IMAGE_TAG" >/dev/null
  "${b[@]}" rm "$ctr" >/dev/null
  rm -rf "$store"
}

if [[ -f "$out/disk.qcow2" && -f "$out/oci/index.json" ]]; then
  log "cached: $out"
else
  started=$SECONDS
  work="$cache_root/.build-$hash-$$"
  rm -rf "$work" && mkdir -p "$work"
  build_disk "$work"
  build_oci "$work"
  rm -rf "$work/rootfs" "$work/disk.raw" "$work/mnt"
  rm -rf "$out" && mv "$work" "$out"
  log "built $out in $((SECONDS - started)) s ($(du -sh "$out/disk.qcow2" | cut -f1) qcow2)"
fi
ln -sfn "$hash" "$cache_root/current"

if ((push)); then
  if [[ -z "${TSVIRT_REGISTRY:-}" ]]; then
    log "no TSVIRT_REGISTRY: start the cluster (cluster/up.sh), eval \"\$(cluster/sync_config.sh)\", run this again"
    log "or push it yourself: skopeo copy oci:$out/oci:$IMAGE_TAG docker://REGISTRY/$IMAGE_REPO:$IMAGE_TAG"
  else
    # The local registry is plain HTTP on loopback; a real one would be TLS.
    skopeo copy --quiet --dest-tls-verify=false "oci:$out/oci:$IMAGE_TAG" "docker://$TSVIRT_REGISTRY/$IMAGE_REPO:$IMAGE_TAG" >&2
    log "pushed $TSVIRT_REGISTRY/$IMAGE_REPO:$IMAGE_TAG"
  fi
fi
printf '%s\n' "$out"
