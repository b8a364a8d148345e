#!/usr/bin/env bash
# How long the integration tests may wait for an upload's final status: the one derivation of that bound
# from the environment's batch window (terraform output `batch_window_ms` = process's TARMAC_BATCH_WINDOW_MS).
#
#   status-wait.sh <batch-window-ms> [job-margin-seconds=180]     prints whole seconds
#   source status-wait.sh; status_wait_seconds <batch-window-ms> [job-margin-seconds]
#
# Staged work waits up to the window for its flush. On Cloud Run the in-process timer cannot be relied on
# (no CPU between requests), so Cloud Scheduler's POST /flush is what bounds it: it runs every
# M = max(1, ceil(window / 60 s)) minutes, so the first tick after the window is at most one period later.
# Then the load job runs and the status turns final: the job margin (load job, push delivery, a cold start).
#   wait = ceil(window / 1 s) + M × 60 s + margin          (master, 180 s window: 180 + 180 + 180 = 540 s)
# tests/Tarmac.PipelineTests/StatusWaitTests.cs runs this function and checks that relation.

# The largest window infra accepts (variable batch_window_ms, validation): the bound used when the
# caller does not know the environment's window, so the wait is never shorter than any valid one needs.
MAX_BATCH_WINDOW_MS=480000

status_wait_seconds() {
  local window_ms="${1:-}" margin_s="${2:-180}"
  if [[ ! "$window_ms" =~ ^[0-9]+$ ]] || (( 10#$window_ms < 1 )); then
    echo "status-wait: batch window '$window_ms' is not a positive number of milliseconds" >&2
    return 2
  fi
  if [[ ! "$margin_s" =~ ^[0-9]+$ ]]; then
    echo "status-wait: job margin '$margin_s' is not a whole number of seconds" >&2
    return 2
  fi
  window_ms=$((10#$window_ms)) margin_s=$((10#$margin_s))
  local window_s=$(( (window_ms + 999) / 1000 ))
  local flush_minutes=$(( (window_ms + 59999) / 60000 ))
  (( flush_minutes < 1 )) && flush_minutes=1
  echo $(( window_s + flush_minutes * 60 + margin_s ))
}

if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
  set -euo pipefail
  [[ $# -ge 1 && $# -le 2 ]] || { echo "usage: $0 <batch-window-ms> [job-margin-seconds]" >&2; exit 2; }
  status_wait_seconds "$@"
fi
