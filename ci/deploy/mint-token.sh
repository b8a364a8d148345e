#!/usr/bin/env bash
# Mint the identity token the pipeline sends to the gateway, by impersonating the deployer service account.
#
#   mint-token.sh <audience> <service-account-email|''> <token-file>
#
# Why impersonation: the build runs as a user-managed service account, and Cloud Build's metadata server
# hands out access tokens but no identity tokens, so a plain `gcloud auth print-identity-token --audiences=…`
# fails there. With --impersonate-service-account gcloud asks the IAM Credentials API
# (projects.serviceAccounts.generateIdToken) instead; that needs roles/iam.serviceAccountTokenCreator for
# the caller on the target, here the deployer on itself (granted in infra/).
#   https://cloud.google.com/sdk/gcloud/reference/auth/print-identity-token  (--impersonate-service-account, --audiences, --include-email)
#   https://cloud.google.com/iam/docs/service-account-permissions            (Token Creator: --impersonate-service-account, getOpenIdToken)
#   https://cloud.google.com/iam/credentials/reference/rest/v1/projects.serviceAccounts/generateIdToken
#   The limitation itself: https://github.com/GoogleCloudPlatform/agent-starter-pack/pull/543 and
#   https://blog.salrashid.dev/articles/2022/cloud_build_id_token/ ("does NOT provide the /identity endpoint").
# --include-email puts `email` and `email_verified` in the token, so the gateway's logs and any claim check
# see which account called. An empty email means the account the build runs as (gcloud's active account).
# The token file is created 0600; the token is never printed.
set -euo pipefail
[[ $# -eq 3 ]] || { echo "usage: $0 <audience> <service-account-email|''> <token-file>" >&2; exit 2; }
audience="$1" account="$2" token_file="$3"
[[ -n "$audience" ]] || { echo "mint-token: empty audience" >&2; exit 2; }
if [[ -z "$account" ]]; then
  account="$(gcloud config get-value account 2>/dev/null | tr -d '[:space:]')"
fi
if [[ ! "$account" =~ ^[^@[:space:]]+@[^@[:space:]]+\.gserviceaccount\.com$ ]]; then
  echo "mint-token: '$account' is not a service account email: set _DEPLOYER_SERVICE_ACCOUNT" >&2
  exit 1
fi
# develop's pipeline runs as the read-only planner, which holds Token Creator on nothing (infra/modules/cicd):
# say so instead of letting the IAM Credentials API answer 403.
if [[ "$account" == *-planner@* ]]; then
  echo "mint-token: '$account' is develop's read-only planner: only master's deployer may mint the gateway token (it is the only holder of Token Creator on itself)" >&2
  exit 1
fi
( umask 077
  gcloud auth print-identity-token \
    --impersonate-service-account="$account" \
    --audiences="$audience" \
    --include-email > "$token_file" )
[[ -s "$token_file" ]] || { echo "mint-token: gcloud printed no token" >&2; exit 1; }
echo "mint-token: identity token for $audience minted as $account"
