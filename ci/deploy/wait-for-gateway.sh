#!/usr/bin/env bash
# Wait, for a bounded time, until the deployed gateway answers 2xx on a probe path.
#
#   wait-for-gateway.sh <base-url> <token-file> [path=/datasets] [attempts=30] [interval-seconds=10]
#
# The token (an identity token minted by the pipeline) is sent as a bearer token: the gateway
# checks JWTs. Exit 0 on the first 2xx, 1 after the last attempt.
set -euo pipefail
[[ $# -ge 2 ]] || { echo "usage: $0 <base-url> <token-file> [path] [attempts] [interval]" >&2; exit 2; }
base="${1%/}" token_file="$2" path="${3:-/datasets}" attempts="${4:-30}" interval="${5:-10}"
token="$(cat "$token_file")"
for ((i = 1; i <= attempts; i++)); do
  code="$(curl -sS -o /dev/null -w '%{http_code}' --max-time 10 \
            -H "Authorization: Bearer $token" "$base$path" || true)"
  if [[ "$code" =~ ^2[0-9][0-9]$ ]]; then
    echo "wait-for-gateway: $base$path answered $code (attempt $i/$attempts)"
    exit 0
  fi
  echo "wait-for-gateway: $base$path -> ${code:-no answer} (attempt $i/$attempts)"
  if (( i < attempts )); then sleep "$interval"; fi
done
echo "wait-for-gateway: $base$path did not answer 2xx after $attempts attempts" >&2
exit 1
