#!/usr/bin/env bash
# Reproduces bench/results/guest.json: the tiny guest under a private libvirtd (TCG, 1 vCPU, 128 MiB),
# domain start → marker line and ACPI shutdown → shut off, medians of RUNS runs (default 5), each run
# also booting the guest with QEMU directly as the baseline measured on the same machine at the same load.
# Needs root. Usage: bench/guest/boot.sh [extra boot-check flags]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
test/e2e/guest/build.sh >/dev/null
exec npx tsx test/e2e/guest/boot-check.ts --runs "${RUNS:-5}" --json bench/results/guest.json "$@"
