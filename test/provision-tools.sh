#!/usr/bin/env bash
# Tools the tests use besides the VM's: promtool, taken out of Debian's prometheus package into
# .cache/tools (installing the package would also install and try to start a Prometheus server).
# Idempotent; quick when done.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/.cache/tools
[ -x "$tools/promtool" ] && exit 0
mkdir -p "$tools"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"
if ! apt-get download prometheus >/dev/null 2>&1; then
  apt-get update -qq >/dev/null
  apt-get download prometheus >/dev/null
fi
dpkg-deb -x prometheus_*.deb x
install -m 0755 x/usr/bin/promtool "$tools/promtool"
echo "provision: promtool $("$tools/promtool" --version 2>&1 | head -1 | awk '{print $3}') in .cache/tools"
