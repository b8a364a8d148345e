#!/usr/bin/env bash
# Integration tests against a deployed gateway (master pipeline, after the apply).
#
#   integration-tests.sh <base-url> <token-file> [results-dir=artifacts/test-results] [batch-window-ms]
#
# tests/Tarmac.IntegrationTests reads TARMAC_BASE_URL and TARMAC_TOKEN; without TARMAC_BASE_URL
# they would start the local host instead (that is what ci/local-pipeline.sh does).
# TARMAC_STATUS_WAIT_SECONDS, how long the tests poll an upload for its final status, is derived from the
# environment's batch window by status-wait.sh. Without a window (e.g. a manual run) it is derived from the
# largest window infra accepts, which is long enough for every environment.
set -euo pipefail
[[ $# -ge 2 && $# -le 4 ]] || { echo "usage: $0 <base-url> <token-file> [results-dir] [batch-window-ms]" >&2; exit 2; }
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck source=status-wait.sh
source "$repo_root/ci/deploy/status-wait.sh"
cd "$repo_root"
results_dir="${3:-artifacts/test-results}"
window_ms="${4:-$MAX_BATCH_WINDOW_MS}"
mkdir -p "$results_dir"
export TARMAC_BASE_URL="${1%/}"
TARMAC_TOKEN="$(cat "$2")"
export TARMAC_TOKEN
TARMAC_STATUS_WAIT_SECONDS="$(status_wait_seconds "$window_ms")"
export TARMAC_STATUS_WAIT_SECONDS
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
echo "integration-tests: against $TARMAC_BASE_URL; batch window $window_ms ms, status wait up to $TARMAC_STATUS_WAIT_SECONDS s"
dotnet test tests/Tarmac.IntegrationTests -c Release \
  --logger "trx;LogFileName=Tarmac.IntegrationTests.trx" \
  --logger "console;verbosity=normal" \
  --results-directory "$results_dir"
