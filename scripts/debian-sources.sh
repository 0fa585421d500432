#!/usr/bin/env bash
# scripts/debian-sources.sh SUITE: what mmdebstrap should fetch SUITE's packages from: this
# machine's apt sources file when it names the suite (a mirror or proxy this machine reaches),
# else Debian's own mirror.
set -euo pipefail
suite=${1:?usage: debian-sources.sh SUITE}
for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
	if [ -s "$f" ] && grep -q "$suite" "$f"; then
		echo "$f"
		exit 0
	fi
done
echo http://deb.debian.org/debian
