#!/usr/bin/env bash
# Offline checks of infra/ (no terraform binary, no cloud access):
#   1. tfcheck: HCL syntax, resource/argument names against the google 6.50 schema,
#      references, module inputs/outputs (stand-in for `terraform validate`);
#   2. policy tests (node --test): least privilege, alert documentation, variable
#      types/descriptions, module layout, JWT on every OpenAPI route.
# Run from the repository root. TFCHECK overrides the checker's path.
set -euo pipefail

TFCHECK="${TFCHECK:-../shared/tools/tfcheck/tfcheck}"

if [[ ! -d infra ]]; then
  echo "check-infra: run from the repository root (no infra/ here: $(pwd))" >&2
  exit 2
fi
if [[ ! -x "$TFCHECK" ]]; then
  echo "check-infra: tfcheck not found or not executable at $TFCHECK (set TFCHECK=...)" >&2
  exit 2
fi
if ! command -v node >/dev/null 2>&1; then
  echo "check-infra: node (>= 20) is required" >&2
  exit 2
fi

echo "== tfcheck infra"
"$TFCHECK" infra

echo "== tfcheck infra/bootstrap (the CI/CD identities, applied by a human, own state)"
"$TFCHECK" infra/bootstrap

echo "== policy tests"
node --test infra/tests/policy.test.mjs

echo "check-infra: OK"
