#!/usr/bin/env bash
# scripts/npm-tarball.sh NAME@VERSION: prints the path of that package's tarball from the npm
# registry, fetched once into .cache/image/ and used only when its sha256 is the one
# docker/npm-tarballs.sha256 records (the Node runtimes of the image and the release archives,
# npm for the image's build stage).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
spec=${1:?usage: npm-tarball.sh NAME@VERSION}
cache=$root/.cache/image
sums=$root/docker/npm-tarballs.sha256
name="$(echo "$spec" | tr '@/' '-_').tgz"
file="$cache/$name"
want=$(awk -v n="$name" '$2 == n { print $1 }' "$sums")
if [ -z "$want" ]; then
	echo "npm-tarball: $sums records no $name: add its sha256, checked against npm view $spec dist.integrity" >&2
	exit 1
fi
if [ ! -s "$file" ]; then
	echo "npm-tarball: fetching $spec from the npm registry" >&2
	mkdir -p "$cache"
	tmp=$(mktemp -d)
	trap 'rm -rf "$tmp"' EXIT
	(cd "$tmp" && npm pack --silent "$spec" >/dev/null)
	mv "$tmp"/*.tgz "$file.part"
	mv "$file.part" "$file"
fi
if [ "$(sha256sum "$file" | cut -d' ' -f1)" != "$want" ]; then
	echo "npm-tarball: $file is not the tarball $sums records ($want); remove it to fetch it again" >&2
	exit 1
fi
echo "$file"
