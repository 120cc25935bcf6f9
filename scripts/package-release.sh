#!/usr/bin/env bash
# Packages built `wo` binaries as the release assets the action (action.yml, scripts/install-wo.sh)
# and docs/installing.md expect:
#
#   <out-dir>/wo-<version>-<target>.tar.gz   one per target: wo-<version>-<target>/{wo, README.md,
#                                            LICENSE-APACHE, LICENSE-MIT}
#   <out-dir>/SHA256SUMS                     `sha256sum` lines of every wo-<version>-*.tar.gz in
#                                            <out-dir>, sorted by name
#
# Usage: scripts/package-release.sh <version> <out-dir> <target>=<path of wo> [<target>=<path>…]
#   version   the release version without the tag's `v` (0.1.0, 0.2.0-rc.1)
#   target    a Rust target triple (x86_64-unknown-linux-musl, aarch64-unknown-linux-musl)
#
# The archives are reproducible: entries sorted by name, owner 0:0, modification time
# SOURCE_DATE_EPOCH (default 0), gzip without a name or time stamp; the same binaries give the
# same bytes. The release workflow (.github/workflows/release.yml) and the test of the action
# (wo-cli/tests/install_action.rs) both package with this script. Needs GNU tar and sha256sum.
set -euo pipefail

usage() {
  echo "usage: $0 <version> <out-dir> <target>=<path of wo> [<target>=<path of wo>…]" >&2
  exit 2
}

[ "$#" -ge 3 ] || usage
version="$1"
out="$2"
shift 2

if ! [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
  echo "package-release: version '$version' is not a release version such as 0.1.0 (no leading v)" >&2
  exit 2
fi

root="$(cd "$(dirname "$0")/.." && pwd)"
mkdir -p "$out"
out="$(cd "$out" && pwd)"
stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

for spec in "$@"; do
  target="${spec%%=*}"
  binary="${spec#*=}"
  if [ "$target" = "$spec" ] || ! [[ "$target" =~ ^[a-z0-9_]+(-[a-z0-9_]+){2,3}$ ]]; then
    echo "package-release: '$spec' is not <target triple>=<path of wo>" >&2
    exit 2
  fi
  if [ ! -f "$binary" ] || [ ! -x "$binary" ]; then
    echo "package-release: $binary (for $target) is not an executable file" >&2
    exit 1
  fi
  name="wo-$version-$target"
  mkdir "$stage/$name"
  install -m 0755 "$binary" "$stage/$name/wo"
  install -m 0644 "$root/README.md" "$root/LICENSE-APACHE" "$root/LICENSE-MIT" "$stage/$name/"
  tar --create --directory "$stage" --sort=name --format=gnu \
    --owner=0 --group=0 --numeric-owner --mode=u=rwX,go=rX --mtime="@${SOURCE_DATE_EPOCH:-0}" "$name" |
    gzip -n >"$out/$name.tar.gz.tmp"
  mv "$out/$name.tar.gz.tmp" "$out/$name.tar.gz"
  echo "packaged $out/$name.tar.gz" >&2
done

(
  cd "$out"
  shopt -s nullglob
  archives=("wo-$version-"*.tar.gz)
  sha256sum "${archives[@]}" | LC_ALL=C sort -k 2 >SHA256SUMS.tmp
  mv SHA256SUMS.tmp SHA256SUMS
)
echo "wrote $out/SHA256SUMS" >&2
