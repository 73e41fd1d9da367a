#!/usr/bin/env bash
# cluster/down.sh: stops everything cluster/up.sh and cluster/sync.sh started (from the pid files
# in .cluster/ or $TSVIRT_CLUSTER_DIR) and leaves no process behind. Logs stay in the state folder.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${TSVIRT_CLUSTER_DIR:-$repo/.cluster}"
cd "$repo"

if [[ -f dist/local-cluster.js && -f "$state/cluster.json" ]]; then
  node_modules/.bin/node dist/local-cluster.js down --state-dir "$state"
fi

# Without the bundle (or after a crash of it), the pid files are still enough: each names the
# leader of a process group that holds nothing but that component and its children.
if [[ -d "$state/pids" ]]; then
  for f in "$state"/pids/*.pid; do
    [[ -e "$f" ]] || continue
    pid="$(cat "$f")"
    kill -TERM -- "-$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || true
    echo "$(basename "$f" .pid): stopped (from pid file)"
    rm -f "$f"
  done
fi
# Private libvirtds of --libvirt nodes (and their QEMUs): stopping one that is not running does nothing.
for d in "$state"/libvirt/*/; do
  [[ -d "$d" ]] && cluster/libvirtd.sh stop "${d%/}"
done
exit 0
