#!/usr/bin/env bash
# scripts/apt-install.sh PACKAGE...: installs with apt-get those of Debian's packages that are not
# installed yet (CI machines start with none of them); quiet when all are. As root, or via sudo.
set -euo pipefail
missing=()
for p in "$@"; do
	dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
echo "installing ${missing[*]}" >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update -qq >&2
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y -qq --no-install-recommends "${missing[@]}" >&2
