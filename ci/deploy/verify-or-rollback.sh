#!/usr/bin/env bash
# Last step of the master pipeline. The deploy steps (apply, gateway wait, integration tests) are
# allowed to fail so that this step always runs; each wrote its exit code to <state-dir>/status/<id>.
# All 0: the deploy is good, exit 0. Anything else (or a missing status): roll the Cloud Run traffic
# back to the revisions recorded before the apply, and exit 1 so the build fails.
#
#   verify-or-rollback.sh <region> <state-dir> <step-id>...
set -euo pipefail
[[ $# -ge 3 ]] || { echo "usage: $0 <region> <state-dir> <step-id>..." >&2; exit 2; }
region="$1" dir="$2"; shift 2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

bad=()
for id in "$@"; do
  status="$(cat "$dir/status/$id" 2>/dev/null || echo missing)"
  echo "verify: $id: $status"
  [[ "$status" == 0 ]] || bad+=("$id=$status")
done
if [[ ${#bad[@]} -eq 0 ]]; then
  echo "verify: deploy verified, keeping the new revisions"
  exit 0
fi
echo "verify: deploy NOT verified (${bad[*]}): rolling back" >&2
if bash "$here/rollback.sh" "$region" "$dir"; then
  echo "verify: traffic is back on the previous revisions; failing the build" >&2
else
  echo "verify: ROLLBACK INCOMPLETE: check the services by hand; failing the build" >&2
fi
exit 1
