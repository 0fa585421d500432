#!/usr/bin/env bash
# Tools the tests use besides the VM's, taken out of Debian's prometheus package into .cache/tools
# (installing the package would also install and start a Prometheus service): promtool (unit
# tier: the alert rules and their tests; kernel tier: /metrics) and the prometheus server (kernel
# tier: scraping lvscare with the shipped rules). Idempotent; quick when done.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tools=$root/.cache/tools
[ -x "$tools/promtool" ] && [ -x "$tools/prometheus" ] && exit 0
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
install -m 0755 x/usr/bin/prometheus "$tools/prometheus"
echo "provision: promtool and prometheus $("$tools/prometheus" --version 2>&1 | head -1 | awk '{print $3}') in .cache/tools"
