#!/usr/bin/env bash
# prepare-pr for a generated environment of N targets on local bare git repositories.
#   bash scripts/bench-prepare-pr.sh 5000 /tmp/pp5000
# Prints /usr/bin/time -v's wall time and peak memory of `wo prepare-pr`.
set -euo pipefail
n="${1:-5000}"
dir="${2:-$(mktemp -d)}"
cd "$(dirname "$0")/.."
target="${CARGO_TARGET_DIR:-target}/release"
cargo build --release -q -p woac-cli
cargo build --release -q --example generate_fleet
rm -rf "$dir"
"$target/examples/generate_fleet" "$n" "$dir/work" >/dev/null
# The generated fleet describes environment `prod` (the end of its chain).
mkrepo() { # work-dir branch bare-repo
  git -C "$1" init -q -b "$2"
  git -C "$1" add -A
  git -C "$1" -c user.name=bench -c user.email=bench@localhost commit -q -m "seed"
  git clone -q --bare "$1" "$3"
}
mkrepo "$dir/work/source" main "$dir/source.git"
mkrepo "$dir/work/config" prod "$dir/config.git"
mkrepo "$dir/work/fleet" prod "$dir/platform.git"
git init -q --bare "$dir/gitops.git"
/usr/bin/time -v "$target/wo" prepare-pr --env prod --source-rev main --first-env prod \
  --source "$dir/source.git" --config "$dir/config.git" --platform "$dir/platform.git" \
  --gitops "$dir/gitops.git" 2> "$dir/time.txt" || { cat "$dir/time.txt" >&2; exit 1; }
grep -E "Elapsed|Maximum resident|Exit status" "$dir/time.txt"
