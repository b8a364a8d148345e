#!/usr/bin/env bash
# Unit tests: every test project under tests/ except the integration tests (those need a running
# system; the pipelines run them separately). One TRX report per project in $RESULTS_DIR.
#
#   ci/unit-tests.sh [results-dir]      (default: artifacts/test-results)
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
results_dir="${1:-artifacts/test-results}"   # artifacts/ is git-ignored
mkdir -p "$results_dir"
results_dir="$(cd "$results_dir" && pwd)"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
# Unit tests must not reach a deployed system even if the caller's shell points at one.
unset TARMAC_BASE_URL TARMAC_TOKEN

# Test projects only (they reference the test SDK); tests/Tarmac.Testing-style helper libraries are
# built as their dependencies.
candidates="$(find tests -mindepth 2 -maxdepth 2 -name '*.csproj' \
                ! -path 'tests/Tarmac.IntegrationTests/*' | LC_ALL=C sort)"
projects=()
while IFS= read -r p; do
  [[ -n "$p" ]] || continue
  if grep -Eq 'Microsoft\.NET\.Test\.Sdk|<IsTestProject>[[:space:]]*true' "$p"; then projects+=("$p"); fi
done <<< "$candidates"
if [[ ${#projects[@]} -eq 0 ]]; then
  echo "unit-tests.sh: no test projects under tests/" >&2
  exit 1
fi

for p in "${projects[@]}"; do
  name="$(basename "$p" .csproj)"
  echo "unit-tests.sh: dotnet test $p"
  dotnet test "$p" -c Release \
    --logger "trx;LogFileName=$name.trx" \
    --logger "console;verbosity=normal" \
    --results-directory "$results_dir"
done
echo "unit-tests.sh: ${#projects[@]} project(s) passed; reports in $results_dir"
