#!/usr/bin/env bash
# The contenders npm run bench compares lvscare with: keepalived and HAProxy from Debian. The
# packages are installed without starting their services (the bench starts them in the VM with
# the configurations in bench/contenders/). A contender that cannot be installed is an error.
set -euo pipefail
need=()
for p in keepalived haproxy; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' || need+=("$p")
done
[ ${#need[@]} -eq 0 ] && exit 0
sudo=()
[ "$(id -u)" = 0 ] || sudo=(sudo)
policy=/usr/sbin/policy-rc.d
added_policy=0
if [ ! -e "$policy" ]; then
  # Debian's way to keep package scripts from starting services: answer "not allowed".
  printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
  "${sudo[@]}" chmod 0755 "$policy"
  added_policy=1
fi
trap '[ "$added_policy" = 1 ] && "${sudo[@]}" rm -f "$policy"' EXIT
echo "bench: installing ${need[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q update >/dev/null
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -q install -y --no-install-recommends "${need[@]}" >/dev/null
for b in keepalived haproxy; do
  command -v "$b" >/dev/null || { echo "bench: $b is not installed; cannot compare with it" >&2; exit 1; }
done
