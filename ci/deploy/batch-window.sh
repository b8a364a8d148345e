#!/usr/bin/env bash
# After the apply: find the deployed environment's batch window, so the integration tests wait long enough.
#
#   batch-window.sh <region> <state-dir>
#
# 1. <state-dir>/batch_window_ms, written by tf-outputs-after from the terraform output `batch_window_ms`.
# 2. Otherwise the TARMAC_BATCH_WINDOW_MS of the deployed process service (name in <state-dir>/process_service_after),
#    read with `gcloud run services describe`: what the service actually runs with.
# Writes the window to <state-dir>/batch_window_ms (integration-tests.sh derives its wait from it with
# status-wait.sh, as this script does for its log line). Exit 1 when neither source has a valid window: guessing a wait
# would either time out a good deploy or hide a stuck one. Needs gcloud and python3 for step 2.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 <region> <state-dir>" >&2; exit 2; }
region="$1" dir="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=status-wait.sh
source "$here/status-wait.sh"
project_flag=()
if [[ -n "${CLOUDSDK_CORE_PROJECT:-}" ]]; then project_flag=(--project "$CLOUDSDK_CORE_PROJECT"); fi

window="$(tr -d '[:space:]' < "$dir/batch_window_ms" 2>/dev/null || true)"
source_name="terraform output batch_window_ms"
if [[ -z "$window" ]]; then
  service="$(tr -d '[:space:]' < "$dir/process_service_after" 2>/dev/null || true)"
  if [[ -z "$service" ]]; then
    echo "batch-window: no batch_window_ms output and no process_service output: cannot derive the wait" >&2
    exit 1
  fi
  source_name="TARMAC_BATCH_WINDOW_MS of $service"
  json="$(gcloud run services describe "$service" --region "$region" "${project_flag[@]}" --format=json)"
  window="$(python3 -c '
import json, sys
spec = ((json.load(sys.stdin).get("spec") or {}).get("template") or {}).get("spec") or {}
for container in spec.get("containers") or []:
    for env in container.get("env") or []:
        if env.get("name") == "TARMAC_BATCH_WINDOW_MS":
            print(env.get("value") or "")
            sys.exit(0)' <<< "$json")"
fi
if ! wait_s="$(status_wait_seconds "$window")"; then
  echo "batch-window: $source_name is '$window', not a window in milliseconds" >&2
  exit 1
fi
echo "$window" > "$dir/batch_window_ms"
echo "batch-window: $window ms ($source_name): the integration tests wait up to $wait_s s for a final status"
