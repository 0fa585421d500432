#!/usr/bin/env bash
# The main job (npm run demo): the IPVS client against a real kernel, in the kernel-tier VM
# when this host has no IPVS, else in a throw-away network namespace.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
inner='ip link set lo up && node test/dist/demo/ipvs-demo.js'
if [ -e /proc/net/ip_vs ]; then
  exec unshare --net bash -c "$inner"
fi
exec bash test/vm/run.sh -- bash -c "$inner"
