#!/usr/bin/env bash
# Installs a released `wo` on a GitHub Actions runner: the logic of the composite action
# (action.yml at the repository root), in two steps around its `actions/cache` step.
#
#   install-wo.sh plan      which version, which target, which directory; written to
#                           GITHUB_OUTPUT as version, target, archive, dir
#   install-wo.sh install   unless <dir>/wo is there already (restored from the cache):
#                           download wo-<version>-<target>.tar.gz and SHA256SUMS from
#                           <base-url>/v<version>/, verify the archive's SHA-256, unpack wo
#                           into <dir>; then check `wo --version`, add <dir> to GITHUB_PATH and
#                           write version and path to GITHUB_OUTPUT
#
# Environment (the action sets it from its inputs and the runner):
#   WO_VERSION        the version to install (0.1.0 or v0.1.0); empty: the action's own ref
#                     when that is a release tag (v0.1.0)
#   WO_ACTION_REF     the action's ref (github.action_ref)
#   WO_BASE_URL       where releases are downloaded from; the archive of v0.1.0 is
#                     <WO_BASE_URL>/v0.1.0/wo-0.1.0-<target>.tar.gz
#   RUNNER_OS, RUNNER_ARCH, RUNNER_TEMP, RUNNER_TOOL_CACHE, GITHUB_OUTPUT, GITHUB_PATH
#
# Nothing is put on PATH (and nothing is left in <dir> for the cache to keep) unless the
# checksum matched and the binary reports the requested version. Needs bash, curl, tar, gzip
# and sha256sum (or shasum).
set -euo pipefail

RELEASES="https://github.com/wo-as-code/wo/releases"

fail() {
  echo "::error title=wo not installed::$*" >&2
  exit 1
}

need() {
  [ -n "${!1:-}" ] || fail "$1 is not set: this script runs as a step of the wo action (action.yml)"
}

# The version (no leading v) from WO_VERSION, else from the action's ref.
resolve_version() {
  local v="${WO_VERSION:-}"
  if [ -z "$v" ]; then
    if [[ "${WO_ACTION_REF:-}" =~ ^v[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
      v="$WO_ACTION_REF"
    else
      fail "input 'version' is required: the action is used at '${WO_ACTION_REF:-an unknown ref}', not at a release tag such as v0.1.0 (write 'with: version: 0.1.0', or 'uses: wo-as-code/wo@v0.1.0')"
    fi
  fi
  v="${v#v}"
  if ! [[ "$v" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]]; then
    fail "'$v' is not a wo version such as 0.1.0"
  fi
  echo "$v"
}

# The Rust target of the release archive that runs on this runner.
resolve_target() {
  need RUNNER_OS
  need RUNNER_ARCH
  case "$RUNNER_OS/$RUNNER_ARCH" in
    Linux/X64) echo x86_64-unknown-linux-musl ;;
    Linux/ARM64) echo aarch64-unknown-linux-musl ;;
    *)
      fail "wo has no release binary for a $RUNNER_OS $RUNNER_ARCH runner (there are static binaries for Linux X64 and Linux ARM64); on this runner install it with: cargo install --locked woac-cli --version $1"
      ;;
  esac
}

install_dir() {
  local base="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-}}"
  [ -n "$base" ] || fail "neither RUNNER_TOOL_CACHE nor RUNNER_TEMP is set: this script runs as a step of the wo action (action.yml)"
  echo "$base/wo/$1/$2"
}

sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

# download <url> <file> <version>: fails with "not released" on 404.
download() {
  local code
  code="$(curl --silent --show-error --location --retry 3 --output "$2" --write-out '%{http_code}' "$1")" ||
    fail "downloading $1 failed (curl exit code $?)"
  case "$code" in
    200) ;;
    404) fail "wo v$3 is not released: $1 answered 404 Not Found (the releases: $RELEASES)" ;;
    *) fail "downloading $1 failed: HTTP $code" ;;
  esac
}

plan_step() {
  need GITHUB_OUTPUT
  local version target dir
  version="$(resolve_version)"
  target="$(resolve_target "$version")"
  dir="$(install_dir "$version" "$target")"
  {
    echo "version=$version"
    echo "target=$target"
    echo "archive=wo-$version-$target.tar.gz"
    echo "dir=$dir"
  } >>"$GITHUB_OUTPUT"
  echo "wo $version for $target, in $dir" >&2
}

install_step() {
  need GITHUB_OUTPUT
  need GITHUB_PATH
  need RUNNER_TEMP
  need WO_BASE_URL
  local version target dir archive url work expected actual reported
  version="$(resolve_version)"
  target="$(resolve_target "$version")"
  dir="$(install_dir "$version" "$target")"
  archive="wo-$version-$target.tar.gz"
  url="${WO_BASE_URL%/}/v$version"

  if [ -x "$dir/wo" ]; then
    echo "wo $version restored from the cache ($dir)" >&2
  else
    work="$(mktemp -d "$RUNNER_TEMP/wo-install.XXXXXX")"
    # shellcheck disable=SC2064 # expand now: the trap must remove this directory
    trap "rm -rf '$work'" EXIT
    download "$url/SHA256SUMS" "$work/SHA256SUMS" "$version"
    download "$url/$archive" "$work/$archive" "$version"
    expected="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")"
    [ -n "$expected" ] || fail "SHA256SUMS of wo v$version ($url/SHA256SUMS) has no line for $archive"
    actual="$(sha256 "$work/$archive")"
    if [ "$actual" != "$expected" ]; then
      fail "checksum mismatch for $archive: SHA256SUMS of wo v$version says $expected, the download is $actual; nothing installed"
    fi
    echo "checksum verified: $archive $actual" >&2
    tar -xzf "$work/$archive" -C "$work" "wo-$version-$target/wo" ||
      fail "$archive has no wo-$version-$target/wo"
    mkdir -p "$dir"
    install -m 0755 "$work/wo-$version-$target/wo" "$dir/wo.tmp"
    mv "$dir/wo.tmp" "$dir/wo"
  fi

  reported="$("$dir/wo" --version 2>&1)" || {
    rm -rf "$dir"
    fail "$dir/wo --version failed: $reported"
  }
  if [ "$reported" != "wo $version" ]; then
    rm -rf "$dir"
    fail "$dir/wo reports '$reported', not 'wo $version'; nothing installed"
  fi
  echo "$dir" >>"$GITHUB_PATH"
  {
    echo "version=$version"
    echo "path=$dir/wo"
  } >>"$GITHUB_OUTPUT"
  echo "installed $reported at $dir/wo" >&2
}

case "${1:-}" in
  plan) plan_step ;;
  install) install_step ;;
  *)
    echo "usage: $0 plan|install (a step of the wo action, action.yml)" >&2
    exit 2
    ;;
esac
