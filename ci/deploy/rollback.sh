#!/usr/bin/env bash
# Send each Cloud Run service's traffic back to the revisions record-traffic.sh saw before the apply.
#
#   rollback.sh <region> <state-dir>
#
# Exit 0 when every recorded service was rolled back, 1 when one failed or nothing was recorded
# (first deploy: there is no previous revision to go back to).
# Terraform still declares "100% to the latest revision": the next successful apply (the fix)
# moves the traffic forward again.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 <region> <state-dir>" >&2; exit 2; }
region="$1" dir="$2"
project_flag=()
if [[ -n "${CLOUDSDK_CORE_PROJECT:-}" ]]; then project_flag=(--project "$CLOUDSDK_CORE_PROJECT"); fi

shopt -s nullglob
files=("$dir"/*.rollback)
if [[ ${#files[@]} -eq 0 ]]; then
  echo "rollback: no previous revisions recorded (first deploy?): nothing to roll back to" >&2
  exit 1
fi
failed=0
for f in "${files[@]}"; do
  read -r service pairs < "$f"
  echo "rollback: $service -> $pairs"
  if ! gcloud run services update-traffic "$service" --region "$region" "${project_flag[@]}" \
         --to-revisions="$pairs" --quiet; then
    echo "rollback: FAILED for $service" >&2
    failed=1
  fi
done
exit "$failed"
