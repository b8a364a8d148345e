#!/usr/bin/env bash
# Run, in the Cloud Build order, every pipeline step that needs no cloud:
#
#   ci/local-pipeline.sh develop|master
#
#   1. unit tests            ci/unit-tests.sh (every tests/ project but the integration tests)
#   2. package               ci/package.sh <branch>, then check the three <function>-<branch>.zip
#                            bundles: names, a Dockerfile at the root, the schemas
#      bundle build          unpack each bundle and run its Dockerfile's restore + publish
#                            (what `docker build` does, without Docker; ~30 s per bundle;
#                            LOCAL_PIPELINE_SKIP_BUNDLE_BUILD=1 skips it)
#   3. terraform (offline)   terraform fmt -check (if a terraform binary is installed), then
#                            ci/check-infra.sh if present, else tfcheck directly
#   4. integration tests     dotnet test tests/Tarmac.IntegrationTests with no TARMAC_BASE_URL:
#                            the tests start the local host themselves
#   5. lying gateway         master only: the pipeline's own command (ci/deploy/integration-tests.sh) against
#                            ci/lying-gateway.py on loopback (200s, wrong data) must fail, and only the
#                            end-to-end checks may be what fails
#
# Skipped, because they need Google Cloud: upload to the artifacts bucket, image build/push,
# terraform init/plan/apply, gateway wait, rollback. Stops at the first failure (exit 1).
# TFCHECK=path/to/tfcheck overrides the offline checker (default ../shared/tools/tfcheck/tfcheck).
set -euo pipefail

usage() { echo "usage: $0 develop|master" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
branch="$1"
case "$branch" in develop|master) ;; *) usage ;; esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
functions=(ingest process query)
results="$repo_root/artifacts/test-results/local-$branch"   # artifacts/ is git-ignored

names=() outcomes=() durations=()
summary() {
  echo
  echo "== local pipeline ($branch) summary =="
  local i
  for i in "${!names[@]}"; do
    printf '  %-22s %-8s %s\n' "${names[$i]}" "${outcomes[$i]}" "${durations[$i]}"
  done
}

# step <name> <command...>: run, record, stop the pipeline on failure.
step() {
  local name="$1"; shift
  echo
  echo "== [$branch] $name =="
  local start=$SECONDS rc=0
  "$@" || rc=$?
  names+=("$name"); durations+=("$((SECONDS - start))s")
  if [[ $rc -ne 0 ]]; then
    outcomes+=("FAIL($rc)")
    summary
    echo "local pipeline: FAILED at '$name'" >&2
    exit 1
  fi
  outcomes+=("ok")
}

skip() { names+=("$1"); outcomes+=("skipped"); durations+=("$2"); echo; echo "== [$branch] $1: skipped ($2) =="; }

list_zip() { # zip entries, one per line
  if command -v unzip >/dev/null 2>&1; then
    unzip -Z1 "$1"
  else
    python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"
  fi
}

verify_bundles() {
  local fn zip entries dockerfile bad=0
  for fn in "${functions[@]}"; do
    zip="artifacts/$fn-$branch.zip"
    if [[ ! -s "$zip" ]]; then echo "missing $zip" >&2; bad=1; continue; fi
    entries="$(list_zip "$zip")"
    grep -qx 'Dockerfile' <<< "$entries" || { echo "$zip: no Dockerfile at the root" >&2; bad=1; }
    dockerfile="$(python3 -c 'import sys, zipfile; print(zipfile.ZipFile(sys.argv[1]).read("Dockerfile").decode())' "$zip" 2>/dev/null || true)"
    grep -qx "ARG FUNCTION=${fn^}" <<< "$dockerfile" || { echo "$zip: its Dockerfile does not default FUNCTION to ${fn^}" >&2; bad=1; }
    for s in schemas/*.json; do
      grep -qx "$s" <<< "$entries" || { echo "$zip: $s missing" >&2; bad=1; }
    done
    grep -q "^src/Tarmac.${fn^}/Tarmac.${fn^}.csproj$" <<< "$entries" \
      || { echo "$zip: src/Tarmac.${fn^}/Tarmac.${fn^}.csproj missing" >&2; bad=1; }
    if grep -Eq '(^|/)(bin|obj)/' <<< "$entries"; then echo "$zip: contains bin/ or obj/" >&2; bad=1; fi
    echo "$zip: $(wc -l <<< "$entries") files"
  done
  return "$bad"
}

# The Dockerfile's build stage, run on the unpacked bundle: proves the zip is a complete context.
build_bundles() {
  local fn project ctx
  for fn in "${functions[@]}"; do
    project="Tarmac.${fn^}"
    ctx="$(mktemp -d)"
    python3 -m zipfile -e "artifacts/$fn-$branch.zip" "$ctx"
    echo "bundle $fn-$branch.zip: dotnet restore + publish -r linux-x64 --no-self-contained, ReadyToRun"
    if ! ( cd "$ctx" \
           && dotnet restore "src/$project/$project.csproj" -r linux-x64 -p:PublishReadyToRun=true \
           && dotnet publish "src/$project/$project.csproj" -c Release -r linux-x64 --no-self-contained \
                --no-restore -p:PublishReadyToRun=true -p:UseAppHost=false -o "$ctx/publish" ) > "$ctx.log" 2>&1; then
      tail -n 30 "$ctx.log" >&2
      rm -rf "$ctx" "$ctx.log"
      return 1
    fi
    [[ -f "$ctx/publish/$project.dll" ]] || { echo "no $project.dll published" >&2; rm -rf "$ctx" "$ctx.log"; return 1; }
    rm -rf "$ctx" "$ctx.log"
  done
}

terraform_checks() {
  [[ -d infra ]] || { echo "no infra/ directory" >&2; return 1; }
  if command -v terraform >/dev/null 2>&1; then
    TF_IN_AUTOMATION=true terraform fmt -check -recursive -diff infra
  else
    echo "(no terraform binary: fmt -check runs in Cloud Build only)"
  fi
  if [[ -f ci/check-infra.sh ]]; then
    bash ci/check-infra.sh
  else
    "${TFCHECK:-$repo_root/../shared/tools/tfcheck/tfcheck}" infra
  fi
}

integration_tests() {
  [[ -d tests/Tarmac.IntegrationTests ]] || { echo "no tests/Tarmac.IntegrationTests" >&2; return 1; }
  # No TARMAC_BASE_URL: the tests start the local host (embedded backend) themselves, with the local status wait.
  env -u TARMAC_BASE_URL -u TARMAC_TOKEN -u TARMAC_STATUS_WAIT_SECONDS \
    dotnet test tests/Tarmac.IntegrationTests -c Release \
      --logger "trx;LogFileName=Tarmac.IntegrationTests.trx" --results-directory "$results"
}

# The master pipeline's integration-test command against a gateway that answers 200 with wrong data: it must fail,
# and the trx must show that the end-to-end checks failed while the rest passed (not a build or setup error).
lying_gateway_check() {
  local dir pid port rc=0
  dir="$(mktemp -d)"
  echo "lying-gateway-token" > "$dir/token"
  python3 ci/lying-gateway.py "$dir/port" "lying-gateway-token" & pid=$!
  for _ in $(seq 50); do [[ -s "$dir/port" ]] && break; sleep 0.1; done
  if [[ ! -s "$dir/port" ]]; then echo "the lying gateway did not start" >&2; kill "$pid"; rm -rf "$dir"; return 1; fi
  port="$(cat "$dir/port")"
  bash ci/deploy/integration-tests.sh "http://127.0.0.1:$port" "$dir/token" "$dir/results" 180000 > "$dir/log" 2>&1 || rc=$?
  kill "$pid"; wait "$pid" 2>/dev/null || true
  if [[ $rc -eq 0 ]]; then
    tail -n 30 "$dir/log" >&2
    echo "the integration tests PASSED against a gateway that serves wrong data" >&2
    rm -rf "$dir"; return 1
  fi
  if ! python3 - "$dir/results/Tarmac.IntegrationTests.trx" <<'PY'
import sys, xml.etree.ElementTree as ET
ns = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}
results = ET.parse(sys.argv[1]).getroot().findall(".//t:UnitTestResult", ns)
failed = sorted(r.get("testName") for r in results if r.get("outcome") == "Failed")
passed = [r.get("testName") for r in results if r.get("outcome") == "Passed"]
expected = ["Tarmac.IntegrationTests.EndToEndTests.A_bad_file_is_rejected_with_line_level_errors",
            "Tarmac.IntegrationTests.EndToEndTests.Uploaded_rows_are_served_back_exactly_and_stats_reflect_them"]
print(f"against the lying gateway: {len(failed)} failed, {len(passed)} passed")
for name in failed: print(f"  failed (as it must): {name}")
sys.exit(0 if failed == expected and passed else 1)
PY
  then
    tail -n 40 "$dir/log" >&2
    echo "the integration tests failed against the lying gateway, but not (only) in the end-to-end checks" >&2
    rm -rf "$dir"; return 1
  fi
  rm -rf "$dir"
}

step "unit tests" bash ci/unit-tests.sh "$results"
step "package" bash ci/package.sh "$branch"
step "verify bundles" verify_bundles
if [[ "${LOCAL_PIPELINE_SKIP_BUNDLE_BUILD:-0}" == 1 ]]; then
  skip "bundle build" "LOCAL_PIPELINE_SKIP_BUNDLE_BUILD=1"
else
  step "bundle build" build_bundles
fi
skip "upload + images" "needs GCS and Artifact Registry"
step "terraform (offline)" terraform_checks
if [[ $branch == develop ]]; then
  skip "terraform init/plan" "needs the state bucket"
else
  skip "terraform init/apply" "needs the state bucket"
fi
step "integration tests" integration_tests
if [[ $branch == master ]]; then
  step "lying gateway fails" lying_gateway_check
  skip "gateway + rollback" "needs the deployed gateway"
fi
summary
echo "local pipeline ($branch): OK; reports in $results, bundles in artifacts/"
