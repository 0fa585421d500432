#!/usr/bin/env bash
# Runs the kernel-tier tests against a real IPVS kernel: in a throw-away network namespace when
# this host's kernel has ip_vs, else inside the qemu VM (test/vm/run.sh). Writes the TAP results
# to $KHA_KERNEL_TAP (default .cache/kernel-tier.tap) and fails when no kernel test ran.
# Usage: test/kernel-tier.sh [compiled test files...]   (default: test/dist/kernel/*.test.js)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
tap=${KHA_KERNEL_TAP:-$root/.cache/kernel-tier.tap}
mkdir -p "$(dirname "$tap")"
rm -f "$tap"

if [ $# -eq 0 ]; then
  # From the sources: a compiled file whose source was deleted must not run.
  for src in test/kernel/*.test.ts; do
    set -- "$@" "test/dist/kernel/$(basename "${src%.ts}").js"
  done
fi
for f in "$@"; do
  [ -f "$f" ] || { echo "kernel tier: no such test file: $f (run npm run build first)" >&2; exit 2; }
done

host_has_ipvs() {
  [ -e /proc/net/ip_vs ] && return 0
  command -v modprobe >/dev/null && modprobe -q ip_vs 2>/dev/null && [ -e /proc/net/ip_vs ]
}

bash test/provision-tools.sh

status=0
if host_has_ipvs; then
  echo "kernel tier: host kernel $(uname -r) has IPVS; running in a fresh network namespace"
  unshare --net --mount bash test/kernel-tier-inner.sh "$tap" "$@" || status=$?
else
  echo "kernel tier: host kernel $(uname -r) has no IPVS; running in the qemu VM"
  share=$(mktemp -d)
  trap 'rm -rf "$share"' EXIT
  bash test/vm/run.sh --keep-share "$share" -- bash test/kernel-tier-inner.sh @share "$@" || status=$?
  [ -f "$share/kernel.tap" ] && cp "$share/kernel.tap" "$tap"
  rm -rf "$root/.cache/kernel-tier-logs"
  [ -d "$share/logs" ] && cp -r "$share/logs" "$root/.cache/kernel-tier-logs"
fi

if [ ! -s "$tap" ]; then
  echo "kernel tier: FAILED: no results were written; the kernel tests did not run" >&2
  exit 1
fi
pass=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -1)
fail=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -1)
if [ -z "$pass" ] || [ "$pass" -eq 0 ]; then
  echo "kernel tier: FAILED: no kernel test passed (pass=${pass:-none})" >&2
  exit 1
fi
echo "kernel tier: ${pass} passed, ${fail:-0} failed"
exit "$status"
