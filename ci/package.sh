#!/usr/bin/env bash
# Package each Cloud Run function as a source bundle: artifacts/<function>-<branch>.zip
#
#   ci/package.sh develop|master
#
# A bundle is what `gcloud run deploy --source` (or `docker build`) needs, in the repository's own
# layout, so the Dockerfile works unchanged with the bundle root as build context:
#
#   Dockerfile                      <- src/Dockerfile with `ARG FUNCTION=<Function>`: a bundle builds
#                                      its own function with no --build-arg (gcloud run deploy --source)
#   .dockerignore  global.json  Directory.Build.props  Directory.Packages.props  (+ NuGet.config,
#   Directory.Build.targets, .editorconfig when the repository has them)
#   schemas/                        <- every dataset schema
#   src/Tarmac.<Function>/ and the projects it needs: Core, ServiceDefaults, GoogleCloud (never Embedded),
#                                      plus anything else its ProjectReferences reach (transitively)
#
# bin/ obj/ TestResults/ are never packed. Files are added in byte-wise sorted order with a fixed
# timestamp (SOURCE_DATE_EPOCH, default 2000-01-01), so the same tree gives the same archive.
# Uses `zip` when installed, else Python's zipfile module (force one with PACKAGE_ZIPPER=zip|python3).
set -euo pipefail

FUNCTIONS=(ingest process query)
# Projects every function bundle carries, besides its own (the brief's list; ProjectReferences add more).
COMMON_PROJECTS=(Tarmac.Core Tarmac.ServiceDefaults Tarmac.GoogleCloud)
ROOT_FILES=(.dockerignore global.json Directory.Build.props Directory.Packages.props)
OPTIONAL_ROOT_FILES=(Directory.Build.targets NuGet.config nuget.config NuGet.Config .editorconfig)

usage() { echo "usage: $0 develop|master" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
branch="$1"
case "$branch" in
  develop|master) ;;
  *) echo "package.sh: branch must be 'develop' or 'master', got '$branch'" >&2; usage ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
out_dir="$repo_root/artifacts"
export LC_ALL=C
epoch="${SOURCE_DATE_EPOCH:-946684800}"

zipper="${PACKAGE_ZIPPER:-}"   # zip | python3; empty = detect
if [[ -n $zipper ]]; then
  command -v "$zipper" >/dev/null 2>&1 || { echo "package.sh: PACKAGE_ZIPPER=$zipper not found" >&2; exit 1; }
elif command -v zip >/dev/null 2>&1; then
  zipper=zip
elif command -v python3 >/dev/null 2>&1; then
  zipper=python3
else
  echo "package.sh: neither 'zip' nor 'python3' is available" >&2; exit 1
fi

# Upper-case the first letter: ingest -> Ingest
project_of() { echo "Tarmac.${1^}"; }

# Project names referenced (transitively) by src/<name>/<name>.csproj, the project itself included.
project_closure() {
  local -a todo=("$@") seen=()
  local p ref
  while [[ ${#todo[@]} -gt 0 ]]; do
    p="${todo[0]}"; todo=("${todo[@]:1}")
    [[ " ${seen[*]-} " == *" $p "* ]] && continue
    seen+=("$p")
    local csproj="src/$p/$p.csproj"
    [[ -f "$csproj" ]] || { echo "package.sh: missing project $csproj" >&2; return 1; }
    # <ProjectReference Include="..\Tarmac.Core\Tarmac.Core.csproj" />  ->  Tarmac.Core
    while IFS= read -r ref; do
      [[ -n "$ref" ]] && todo+=("$ref")
    done < <(grep -o 'ProjectReference[^>]*Include="[^"]*"' "$csproj" \
               | sed -E 's/.*Include="([^"]*)".*/\1/; s#\\#/#g' \
               | sed -E 's#.*/([^/]+)\.csproj$#\1#; s#^([^/]+)\.csproj$#\1#')
  done
  printf '%s\n' "${seen[@]}" | sort -u
}

# Files of a directory, relative to the repo root, without build output.
source_files() {
  find "$1" \( -type d \( -name bin -o -name obj -o -name TestResults -o -name node_modules \) -prune \) \
       -o \( -type f ! -name '*.user' ! -name '*.duckdb' ! -name '*.duckdb.wal' -print \)
}

make_zip() { # make_zip <stage dir> <zip path>
  local stage="$1" archive="$2"
  rm -f "$archive"
  find "$stage" -exec touch -h -d "@$epoch" {} +
  (
    cd "$stage"
    find . -type f | sed 's#^\./##' | sort > "$stage.list"
    if [[ $zipper == zip ]]; then
      # -X: no extra attributes (uid/gid, extended timestamps); -D: no directory entries.
      zip -q -X -D "$archive" -@ < "$stage.list"
    else
      # Not `python3 -m zipfile -c a.zip FILE...`: that stores each FILE under its base name
      # (src/X/Y.cs -> Y.cs). Same zipfile module, relative paths kept, order and time fixed.
      python3 - "$archive" "$stage.list" "$epoch" <<'PY'
import sys, time, zipfile
archive, listing, epoch = sys.argv[1], sys.argv[2], int(sys.argv[3])
stamp = time.gmtime(max(epoch, 315532800))[:6]  # zip timestamps start in 1980
with open(listing) as f, zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
    for name in (line.rstrip("\n") for line in f):
        if not name:
            continue
        info = zipfile.ZipInfo(name, stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        with open(name, "rb") as src:
            z.writestr(info, src.read())
PY
    fi
  )
  rm -f "$stage.list"
}

[[ -d schemas ]] && compgen -G 'schemas/*.json' >/dev/null \
  || { echo "package.sh: no schemas/*.json at the repository root" >&2; exit 1; }

mkdir -p "$out_dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

for fn in "${FUNCTIONS[@]}"; do
  project="$(project_of "$fn")"
  dockerfile="src/Dockerfile"
  [[ -f "$dockerfile" ]] || { echo "package.sh: missing $dockerfile" >&2; exit 1; }

  # (a plain assignment, so that a missing project stops the script under set -e)
  closure="$(project_closure "$project" "${COMMON_PROJECTS[@]}")"
  mapfile -t projects <<< "$closure"

  stage="$work/$fn"
  mkdir -p "$stage"
  # The first `ARG FUNCTION` is the global one, before any FROM; the stages' own declarations inherit its default.
  sed "0,/^ARG FUNCTION\$/s//ARG FUNCTION=${project#Tarmac.}/" "$dockerfile" > "$stage/Dockerfile"
  [[ "$(grep -c '^ARG FUNCTION=' "$stage/Dockerfile")" == 1 ]] \
    || { echo "package.sh: $dockerfile needs a global 'ARG FUNCTION' line to fill in" >&2; exit 1; }
  for f in "${ROOT_FILES[@]}"; do
    [[ -f "$f" ]] || { echo "package.sh: missing $f at the repository root" >&2; exit 1; }
    cp "$f" "$stage/$f"
  done
  for f in "${OPTIONAL_ROOT_FILES[@]}"; do
    if [[ -f "$f" ]]; then cp "$f" "$stage/$f"; fi
  done
  while IFS= read -r f; do
    mkdir -p "$stage/$(dirname "$f")"
    cp "$f" "$stage/$f"
  done < <( { source_files schemas; for p in "${projects[@]}"; do source_files "src/$p"; done; } | sort )

  archive="$out_dir/$fn-$branch.zip"
  make_zip "$stage" "$archive"
  echo "package.sh: $(basename "$archive")  ($(wc -c < "$archive") bytes; projects: ${projects[*]})"
done
