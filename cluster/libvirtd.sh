#!/usr/bin/env bash
# A private, privileged libvirtd + virtlogd for tests, isolated from any other libvirtd on the host.
#
#   libvirtd.sh start DIR   starts both daemons with all state under DIR; prints the URI to use
#   libvirtd.sh stop DIR    destroys the domains still running, stops both daemons, waits for them
#   libvirtd.sh uri DIR     prints the URI: qemu:///system?socket=DIR/sock/libvirt-sock
#   libvirtd.sh restart-libvirtd DIR
#                           stops libvirtd alone (SIGTERM; QEMU and virtlogd keep running) and starts
#                           it again in the same mount namespace; it reconnects to the running domains
#
# A privileged libvirtd hard-codes /run/libvirt, /var/lib/libvirt, /var/log/libvirt, /var/cache/libvirt
# and /etc/libvirt (and virtlogd's socket inside /run/libvirt), and its QEMU driver locks
# /run/libvirt/qemu/driver.pid, so two cannot share a host. Each instance therefore runs in its own
# mount namespace with those folders bind-mounted from DIR; only the client socket, in DIR/sock via
# unix_sock_dir, is meant for the outside. Paths a client must reach (serial sockets, kernels) must
# lie outside those five folders.
# When /dev/kvm exists but libvirt-qemu cannot open it (here: 0600 root), libvirt 9.0 probes QEMU with
# CAP_DAC_OVERRIDE, records KVM as enabled, then finds it unusable for libvirt-qemu, throws the cache
# away and probes again, about 11 times per domain start (44 s). Inside the namespace an empty
# root-only file therefore hides /dev/kvm, so the probe and the check agree on TCG.
# The QEMU capabilities cache is shared across instances in
# ${XDG_CACHE_HOME:-$HOME/.cache}/tsvirt/libvirt-qemu-capabilities: probing QEMU costs ~4 s.
# Needs root (QEMU runs as libvirt-qemu, which this script creates with the groups kvm and
# libvirt-qemu when they are missing).
set -euo pipefail

log() { printf '%s\n' "$*" >&2; }

ensure_accounts() {
  getent group kvm >/dev/null || groupadd --system kvm
  getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
  id libvirt-qemu >/dev/null 2>&1 ||
    useradd --system --no-create-home --home-dir /var/lib/libvirt --shell /usr/sbin/nologin \
      -g libvirt-qemu -G kvm libvirt-qemu
}

uri_of() { printf 'qemu:///system?socket=%s/sock/libvirt-sock\n' "$1"; }

write_config() { # dir
  cat >"$1/libvirtd.conf" <<EOF
unix_sock_dir = "$1/sock"
unix_sock_group = "root"
unix_sock_rw_perms = "0770"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$1/libvirtd.log"
EOF
  # QEMU's own /dev namespace would try to carry the /dev/kvm bind mount over and fail with
  # "Unable to move /run/libvirt/qemu/1-<name>.kvm mount to /dev/kvm: Invalid argument".
  printf 'namespaces = []\n' >"$1/etc/qemu.conf"
  cat >"$1/virtlogd.conf" <<EOF
log_outputs = "3:file:$1/virtlogd.log"
EOF
}

# Runs inside the new mount namespace; the daemons it forks keep the namespace alive.
namespace_body() { # dir caps
  mount --make-rprivate /
  local pair
  for pair in run:/run/libvirt lib:/var/lib/libvirt log:/var/log/libvirt etc:/etc/libvirt; do
    mkdir -p "${pair#*:}"
    mount --bind "$1/${pair%%:*}" "${pair#*:}"
  done
  mkdir -p /var/cache/libvirt
  mount --bind "$1/cache" /var/cache/libvirt
  mkdir -p /var/cache/libvirt/qemu "$2"
  mount --bind "$2" /var/cache/libvirt/qemu
  mkdir -p /var/lib/libvirt/qemu /var/log/libvirt/qemu
  if [[ -e /dev/kvm ]] && ! runuser -u libvirt-qemu -- test -r /dev/kvm -a -w /dev/kvm; then
    : >"$1/no-kvm"
    chmod 0600 "$1/no-kvm"
    mount --bind "$1/no-kvm" /dev/kvm
  fi
  virtlogd --daemon --config "$1/virtlogd.conf" --pid-file "$1/virtlogd.pid"
  libvirtd --daemon --config "$1/libvirtd.conf" --pid-file "$1/libvirtd.pid"
}

wait_until() { # seconds description command...
  local deadline=$((SECONDS + $1)) what="$2"
  shift 2
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || { log "timed out waiting for $what"; return 1; }
    sleep 0.05
  done
}

start() { # dir
  local dir caps
  mkdir -p "$1"
  dir="$(cd "$1" && pwd)"
  [[ ! -S "$dir/sock/libvirt-sock" ]] || ! virsh -c "$(uri_of "$dir")" uri >/dev/null 2>&1 ||
    { log "a libvirtd already serves $dir"; exit 1; }
  ensure_accounts
  caps="${XDG_CACHE_HOME:-$HOME/.cache}/tsvirt/libvirt-qemu-capabilities"
  mkdir -p "$dir"/{run,lib,log,cache,etc,sock}
  write_config "$dir"
  unshare --mount bash -c "$(declare -f namespace_body); namespace_body \"\$1\" \"\$2\"" _ "$dir" "$caps"
  wait_until 20 "libvirtd at $dir/sock/libvirt-sock" virsh -c "$(uri_of "$dir")" uri
  uri_of "$dir"
}

# A daemon that has exited stays a zombie until PID 1 reaps it (here that takes 1-2 s), so a zombie
# counts as gone.
running() { # pid
  local state
  state="$(ps -o stat= -p "$1" 2>/dev/null)" || return 1
  [[ "$state" != Z* ]]
}

stop_pid() { # pidfile name
  [[ -f "$1" ]] || return 0
  local pid
  pid="$(cat "$1")"
  if running "$pid"; then
    kill -TERM "$pid"
    wait_until 20 "$2 ($pid) to exit" bash -c "$(declare -f running); ! running $pid"
  fi
  rm -f "$1"
}

# libvirtd leaves QEMU running when it stops (by design), so the domains go first.
destroy_domains() { # dir
  local uri name pidfile
  uri="$(uri_of "$1")"
  if virsh -c "$uri" uri >/dev/null 2>&1; then
    while read -r name; do
      [[ -n "$name" ]] && virsh -c "$uri" destroy "$name" >/dev/null
    done < <(virsh -c "$uri" list --name --state-running --state-paused)
  fi
  for pidfile in "$1"/run/qemu/*.pid; do
    [[ -f "$pidfile" ]] && stop_pid "$pidfile" "QEMU of $(basename "$pidfile" .pid)"
  done
  return 0
}

restart_libvirtd() { # dir
  local dir ns
  dir="$(cd "$1" && pwd)"
  [[ -f "$dir/virtlogd.pid" ]] || { log "no virtlogd for $dir: start it first"; exit 1; }
  ns="/proc/$(cat "$dir/virtlogd.pid")/ns/mnt" # virtlogd holds the instance's mount namespace
  stop_pid "$dir/libvirtd.pid" libvirtd
  nsenter --mount="$ns" libvirtd --daemon --config "$dir/libvirtd.conf" --pid-file "$dir/libvirtd.pid"
  wait_until 20 "libvirtd at $dir/sock/libvirt-sock" virsh -c "$(uri_of "$dir")" uri
}

stop() { # dir
  [[ -d "$1" ]] || return 0
  local dir
  dir="$(cd "$1" && pwd)"
  destroy_domains "$dir"
  stop_pid "$dir/libvirtd.pid" libvirtd
  stop_pid "$dir/virtlogd.pid" virtlogd
}

case "${1:-} ${2:+dir}" in
  "start dir") start "$2" ;;
  "stop dir") stop "$2" ;;
  "uri dir") uri_of "$(cd "$2" && pwd)" ;;
  "restart-libvirtd dir") restart_libvirtd "$2" ;;
  *) log "usage: $0 start|stop|uri|restart-libvirtd DIR"; exit 2 ;;
esac
