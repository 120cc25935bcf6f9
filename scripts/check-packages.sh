#!/usr/bin/env bash
# The crates as crates.io would get them: `cargo package` every published crate of the
# workspace, then build the packaged sources (not the repository's) together, each woac-*
# dependency resolved to its own packaged sources.
#
# Why not cargo package's own verification: it builds each crate from its tarball with the
# other workspace crates taken from a local registry, and cargo treats registry crates of one
# version as immutable — with a target directory kept between runs (CI caches it), a later run
# builds against the previous run's compiled woac-* crates and misses what changed since.
# Building the unpacked tarballs as path crates (their files time-stamped at extraction) has no
# such blind spot, and shares the compiled third-party dependencies with the normal build: a
# warm run recompiles only our crates.
#
# Usage: scripts/check-packages.sh   (CARGO_TARGET_DIR as for the rest of CI)
set -euo pipefail
cd "$(dirname "$0")/.."

target_dir="${CARGO_TARGET_DIR:-target}"
# wo-test-support is not published (wo-test-support/Cargo.toml).
cargo package --workspace --exclude woac-test-support --no-verify --locked --allow-dirty

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
members=()
patches=()
while read -r name version; do
  crate="$name-$version"
  file="$target_dir/package/$crate.crate"
  [ -f "$file" ] || { echo "check-packages: $file was not made" >&2; exit 1; }
  size="$(stat -c %s "$file")"
  # crates.io refuses crates over 10 MiB; a crate past 2 MiB should be a decision.
  if [ "$size" -gt $((2 * 1024 * 1024)) ]; then
    echo "check-packages: $crate.crate is $size bytes (over 2 MiB)" >&2
    exit 1
  fi
  echo "$crate.crate: $size bytes"
  # --touch: cargo writes every file of a .crate with one fixed time stamp, which a warm target
  # directory would take for "unchanged"; extracted now, our crates are always rebuilt.
  tar --touch -xzf "$file" -C "$work"
  members+=("\"$crate\"")
  patches+=("$name = { path = \"$crate\" }")
done < <(cargo metadata --format-version 1 --no-deps |
  python3 -c 'import json, sys
for p in json.load(sys.stdin)["packages"]:
    if p["publish"] != []:  # publish = false is []
        print(p["name"], p["version"])')

{
  echo "[workspace]"
  echo "members = [$(IFS=,; echo "${members[*]}")]"
  echo "resolver = \"2\""
  echo
  echo "[patch.crates-io]"
  printf '%s\n' "${patches[@]}"
} >"$work/Cargo.toml"
# The versions of third-party crates the workspace is tested with.
cp Cargo.lock "$work/Cargo.lock"
cargo build --manifest-path "$work/Cargo.toml" --workspace
echo "check-packages: the packaged sources of ${#members[@]} crates build"
