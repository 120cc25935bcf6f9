#!/usr/bin/env bash
# Starts Stoplight Prism in proxy mode in front of an upstream (the fake GitHub), validating
# every request and response against GitHub's OpenAPI description.
#
#   PRISM=/path/to/prism tests/prism-proxy.sh http://127.0.0.1:PORT
#
# Env: PRISM (required; `npm install --prefix DIR @stoplight/prism-cli@5.14.2` → DIR/node_modules/.bin/prism),
#      WO_GITHUB_SPEC (default: the copy in wo-github/tests/specs/github/),
#      PRISM_PORT (default: a free port on 127.0.0.1), PRISM_LOG (default: a temp file).
# Prints the port once Prism listens, then runs until its standard input closes (or it gets
# SIGTERM/SIGINT) and stops Prism. Exit 2 on bad usage, 1 when Prism does not come up.
set -euo pipefail

upstream="${1:?usage: PRISM=… $0 UPSTREAM_URL}"
if [[ -z "${PRISM:-}" || ! -x "${PRISM}" ]]; then
  echo "prism-proxy.sh: set PRISM to the prism binary (npm install --prefix DIR @stoplight/prism-cli@5.14.2; PRISM=DIR/node_modules/.bin/prism)" >&2
  exit 2
fi
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
spec="${WO_GITHUB_SPEC:-$here/specs/github/api.github.com.subset.json}"
if [[ ! -f "$spec" ]]; then
  echo "prism-proxy.sh: no OpenAPI description at $spec (set WO_GITHUB_SPEC)" >&2
  exit 2
fi

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
port="${PRISM_PORT:-}"
if [[ -z "$port" ]]; then
  for _ in $(seq 1 50); do
    candidate=$((20000 + RANDOM % 40000))
    if port_free "$candidate"; then port=$candidate; break; fi
  done
fi
[[ -n "$port" ]] || { echo "prism-proxy.sh: no free port found" >&2; exit 1; }

log="${PRISM_LOG:-$(mktemp -t prism-proxy.XXXXXX.log)}"
"$PRISM" proxy --errors -h 127.0.0.1 -p "$port" "$spec" "$upstream" >"$log" 2>&1 &
pid=$!
stop() { kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; }
trap stop EXIT
trap 'exit 0' TERM INT

for _ in $(seq 1 600); do
  if ! kill -0 "$pid" 2>/dev/null; then
    echo "prism-proxy.sh: prism exited before listening; log $log:" >&2
    cat "$log" >&2
    exit 1
  fi
  if grep -q "Prism is listening" "$log" 2>/dev/null && ! port_free "$port"; then
    echo "$port"
    # Run until whoever started us closes our standard input.
    if [[ -t 0 ]]; then wait "$pid"; else cat >/dev/null || true; fi
    exit 0
  fi
  sleep 0.1
done
echo "prism-proxy.sh: prism did not listen within 60 s; log $log:" >&2
cat "$log" >&2
exit 1
