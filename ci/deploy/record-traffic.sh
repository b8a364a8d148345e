#!/usr/bin/env bash
# Before `terraform apply`: remember which Cloud Run revisions serve traffic now, so that
# rollback.sh can send the traffic back to them.
#
#   record-traffic.sh <region> <state-dir>
#
# Reads <state-dir>/<function>_service (the service names from `terraform output` before the apply;
# absent on the first deploy) and writes <state-dir>/<function>.rollback as one line:
#   <service> <revision>=<percent>[,<revision>=<percent>...]
# A service that does not exist yet is skipped (nothing to go back to). Needs gcloud and python3.
set -euo pipefail
[[ $# -eq 2 ]] || { echo "usage: $0 <region> <state-dir>" >&2; exit 2; }
region="$1" dir="$2"
project_flag=()
if [[ -n "${CLOUDSDK_CORE_PROJECT:-}" ]]; then project_flag=(--project "$CLOUDSDK_CORE_PROJECT"); fi

recorded=0
for fn in ingest process query; do
  name_file="$dir/${fn}_service"
  rm -f "$dir/$fn.rollback"
  if [[ ! -s "$name_file" ]]; then
    echo "record-traffic: no ${fn}_service output in the state yet (first deploy?): nothing to record"
    continue
  fi
  service="$(tr -d '[:space:]' < "$name_file")"
  if ! json="$(gcloud run services describe "$service" --region "$region" "${project_flag[@]}" \
                 --format='json(status.traffic)' 2>/dev/null)"; then
    echo "record-traffic: service $service not found in $region: nothing to record"
    continue
  fi
  # status.traffic lists the resolved revision of every target (also the "latest" one) with its percent.
  pairs="$(python3 -c '
import json, sys
traffic = (json.load(sys.stdin).get("status") or {}).get("traffic") or []
print(",".join("%s=%s" % (t["revisionName"], t["percent"]) for t in traffic
               if t.get("revisionName") and int(t.get("percent") or 0) > 0))' <<< "$json")"
  if [[ -z "$pairs" ]]; then
    echo "record-traffic: $service serves no revision: nothing to record"
    continue
  fi
  echo "$service $pairs" > "$dir/$fn.rollback"
  echo "record-traffic: $fn: $service -> $pairs"
  recorded=$((recorded + 1))
done
echo "record-traffic: $recorded service(s) recorded in $dir"
