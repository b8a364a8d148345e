#!/usr/bin/env bash
# Run a command only if the earlier deploy steps succeeded, and record its exit code for
# verify-or-rollback.sh. Always exits with the command's code (or 1 when skipped).
#
#   gate.sh <state-dir> <this-step-id> [<required-step-id>...] -- <command> [args...]
set -uo pipefail
dir="$1" id="$2"; shift 2
required=()
while [[ $# -gt 0 && "$1" != "--" ]]; do required+=("$1"); shift; done
[[ "${1:-}" == "--" ]] || { echo "usage: $0 <state-dir> <id> [<required-id>...] -- <command>..." >&2; exit 2; }
shift
mkdir -p "$dir/status"
for r in "${required[@]}"; do
  s="$(cat "$dir/status/$r" 2>/dev/null || echo missing)"
  if [[ "$s" != 0 ]]; then
    echo "gate: skipping $id: $r did not succeed ($s)" >&2
    echo "skipped" > "$dir/status/$id"
    exit 1
  fi
done
"$@"
rc=$?
echo "$rc" > "$dir/status/$id"
exit "$rc"
