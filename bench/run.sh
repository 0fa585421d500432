#!/usr/bin/env bash
# npm run bench: the benchmarks, inside the kernel-tier VM (or a host namespace with IPVS).
# Results land in bench/out/ (JSON) and on stdout (Markdown). Not part of npm test.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash test/provision-tools.sh
mkdir -p bench/out
share=$(mktemp -d)
trap 'rm -rf "$share"' EXIT
inner='ip link set lo up && export KHA_BENCH_OUT="$KHA_VM_SHARE/ipvs-throughput.json" KHA_BENCH_OUT_DIR="$KHA_VM_SHARE" && node bench/dist/ipvs-throughput.js && node bench/dist/care-footprint.js'
if [ -e /proc/net/ip_vs ]; then
  KHA_VM_SHARE=$share unshare --net --mount bash -c "$inner"
else
  bash test/vm/run.sh --keep-share "$share" -- bash -c "$inner"
fi
cp "$share"/*.json bench/out/
echo "written: $(ls bench/out/*.json | tr '\n' ' ')"
