#!/usr/bin/env bash
# The main job (npm run demo): kha join --skip-kubeadm on a worker with three masters, lvscare
# running as its static pod would, a master killed, the VIP still answering, then kha reset.
# In the kernel-tier VM when this host has no IPVS, else in a throw-away network namespace.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash test/provision-tools.sh
inner='ip link set lo up && node test/dist/demo/join-demo.js'
if [ -e /proc/net/ip_vs ]; then
  exec unshare --net --mount bash -c "$inner"
fi
exec bash test/vm/run.sh -- bash -c "$inner"
