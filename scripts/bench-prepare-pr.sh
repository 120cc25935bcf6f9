#!/usr/bin/env bash
# prepare-pr for a generated environment of N targets on local bare git repositories, in the
# scenarios of docs/benchmarks.md:
#   bash scripts/bench-prepare-pr.sh 5000 /tmp/pp5000
#
#   first         an empty gitops repository: the change request of all N targets is opened
#   unchanged     the same inputs again, the change request still open: nothing to write
#   merge         `wo merge` of that change request (the env branch now holds the N targets)
#   no-difference the same inputs again: the env branch holds them already
#   env-change    one environment-level value (the image in the config repo's values.yaml)
#                 changed and committed: every target's values and manifests change
#
# Prints one line per scenario: wall time, user and system CPU, peak RSS (from /usr/bin/time
# -v, kept in DIR/<scenario>.time) and what the step reported; fails on the first step that
# fails or reports another outcome than expected. WO_BENCH_NO_BUILD=1 skips the build (CI has
# built the binaries already); WO_BENCH_PROFILE=debug uses debug binaries; WO_BENCH_WO=PATH
# times another build of wo (an older commit's, side by side).
set -euo pipefail
n="${1:-5000}"
dir="${2:-$(mktemp -d)}"
cd "$(dirname "$0")/.."
profile="${WO_BENCH_PROFILE:-release}"
bin="${CARGO_TARGET_DIR:-target}/$profile"
if [ -z "${WO_BENCH_NO_BUILD:-}" ]; then
  flag=(--release)
  [ "$profile" = release ] || flag=()
  cargo build "${flag[@]}" -q -p woac-cli --bin wo
  cargo build "${flag[@]}" -q -p woac --example generate_fleet
fi
wo="${WO_BENCH_WO:-$bin/wo}"
rm -rf "$dir"
"$bin/examples/generate_fleet" "$n" "$dir/work" >/dev/null
git_() { git -c user.name=bench -c user.email=bench@localhost "$@"; }
# The generated fleet describes environment `prod`, the first (and only) of its chain here.
mkrepo() { # work-dir branch bare-repo
  git_ -C "$1" init -q -b "$2"
  git_ -C "$1" add -A
  git_ -C "$1" commit -q -m "seed"
  git_ clone -q --bare "$1" "$3"
  git_ -C "$1" remote add origin "$3"
}
mkrepo "$dir/work/source" main "$dir/source.git"
mkrepo "$dir/work/config" prod "$dir/config.git"
mkrepo "$dir/work/fleet" prod "$dir/platform.git"
git init -q --bare "$dir/gitops.git"
repos=(--source "$dir/source.git" --config "$dir/config.git" --platform "$dir/platform.git"
  --gitops "$dir/gitops.git" --first-env prod)

printf '%-14s %8s %8s %8s %9s  %s\n' scenario wall user sys "peak RSS" outcome
timed() { # scenario expected-outcome wo-args...
  local name="$1" expected="$2"
  shift 2
  if ! /usr/bin/time -v -o "$dir/$name.time" "$wo" "$@" -o json >"$dir/$name.json" 2>"$dir/$name.err"; then
    echo "$name: wo $* failed:" >&2
    cat "$dir/$name.err" "$dir/$name.json" >&2
    exit 1
  fi
  local got
  got="$(grep -oE '"(outcome|merged)": *("[^"]*"|true|false)' "$dir/$name.json" | head -n1 | sed -E 's/.*: *"?([^"]*)"?/\1/')"
  if [ "$got" != "$expected" ]; then
    echo "$name: expected outcome \`$expected\`, wo reported \`$got\`:" >&2
    cat "$dir/$name.json" >&2
    exit 1
  fi
  awk -v name="$name" -v got="$got" -F': ' '
    /Elapsed \(wall clock\)/ { n = split($2, t, ":"); wall = (n == 3) ? t[1] * 3600 + t[2] * 60 + t[3] : t[1] * 60 + t[2] }
    /User time/ { user = $2 } /System time/ { sys = $2 } /Maximum resident/ { rss = $2 }
    END { printf "%-14s %7.2fs %7.2fs %7.2fs %5d MiB  %s\n", name, wall, user, sys, rss / 1024, got }' "$dir/$name.time"
}
prepare=(prepare-pr --env prod --source-rev main "${repos[@]}")
timed first opened "${prepare[@]}"
timed unchanged unchanged "${prepare[@]}"
timed merge true merge --env prod "${repos[@]}"
timed no-difference "no difference" "${prepare[@]}"
sed -i 's|registry.example.com/shop:1.4.2|registry.example.com/shop:1.4.3|' "$dir/work/config/values.yaml"
git_ -C "$dir/work/config" commit -q -am "shop 1.4.3 everywhere"
git_ -C "$dir/work/config" push -q origin prod
timed env-change opened "${prepare[@]}"
