#!/usr/bin/env bash
# The test command (README, .ci/run): installs what is missing, checks types and lint, runs the
# three tiers in order, and ends with one line `N passed, N failed` summing every tier it ran.
# TIERS=unit,integration,e2e selects tiers (default all).
set -euo pipefail
cd "$(dirname "$0")/.."

hack/install-deps.sh
npm run --silent build
npm run --silent typecheck
npm run --silent lint
npm run --silent format:check >/dev/null

IFS=',' read -r -a tiers <<<"${TIERS:-unit,integration,e2e}"
results=$(mktemp -d)
trap 'rm -rf "$results"' EXIT
status=0
for tier in "${tiers[@]}"; do
  printf '\n=== %s tests ===\n' "$tier"
  # Integration and e2e files share one cluster and its components: one file at a time.
  band=(--runInBand); [ "$tier" = unit ] && band=()
  NODE_OPTIONS=--experimental-vm-modules npx jest --selectProjects "$tier" --ci "${band[@]}" \
    --json --outputFile="$results/$tier.json" || status=1
done

node_modules/.bin/node -e '
  const fs = require("node:fs");
  let passed = 0, failed = 0;
  for (const f of fs.readdirSync(process.argv[1])) {
    const r = JSON.parse(fs.readFileSync(process.argv[1] + "/" + f, "utf8"));
    passed += r.numPassedTests;
    // A suite that failed to load has no failed tests but must count as a failure.
    failed += r.numFailedTests + r.numRuntimeErrorTestSuites;
  }
  console.log(`${passed} passed, ${failed} failed`);
' "$results"
exit "$status"
