#!/usr/bin/env bash
# npm run bench: the benchmarks, inside the kernel-tier VM (or a host namespace with IPVS).
# Results land in bench/out/ (JSON) and on stdout (Markdown).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p bench/out
share=$(mktemp -d)
trap 'rm -rf "$share"' EXIT
inner='ip link set lo up && KHA_BENCH_OUT="$KHA_VM_SHARE/ipvs-throughput.json" node bench/dist/ipvs-throughput.js'
if [ -e /proc/net/ip_vs ]; then
  KHA_VM_SHARE=$share unshare --net bash -c "$inner"
else
  bash test/vm/run.sh --keep-share "$share" -- bash -c "$inner"
fi
cp "$share/ipvs-throughput.json" bench/out/ipvs-throughput.json
echo "written: bench/out/ipvs-throughput.json"
