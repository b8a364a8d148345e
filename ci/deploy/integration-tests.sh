#!/usr/bin/env bash
# Integration tests against a deployed gateway (master pipeline, after the apply).
#
#   integration-tests.sh <base-url> <token-file> [results-dir=artifacts/test-results]
#
# tests/Tarmac.IntegrationTests reads TARMAC_BASE_URL and TARMAC_TOKEN; without TARMAC_BASE_URL
# they would start the local host instead (that is what ci/local-pipeline.sh does).
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 <base-url> <token-file> [results-dir]" >&2; exit 2; }
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$repo_root"
results_dir="${3:-artifacts/test-results}"
mkdir -p "$results_dir"
export TARMAC_BASE_URL="${1%/}"
TARMAC_TOKEN="$(cat "$2")"
export TARMAC_TOKEN
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "integration-tests: against $TARMAC_BASE_URL"
dotnet test tests/Tarmac.IntegrationTests -c Release \
  --logger "trx;LogFileName=Tarmac.IntegrationTests.trx" \
  --logger "console;verbosity=normal" \
  --results-directory "$results_dir"
