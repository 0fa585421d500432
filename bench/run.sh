#!/usr/bin/env bash
# npm run bench: every benchmark, inside the kernel-tier VM (or a host network namespace with
# IPVS), then bench/RESULTS.md and bench/results.json from what they measured. Not part of
# npm test. Raw per-benchmark JSON lands in bench/out/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash test/provision-tools.sh
bash bench/provision.sh
mkdir -p bench/out
share=$(mktemp -d)
trap 'rm -rf "$share"' EXIT
inner='ip link set lo up && export KHA_BENCH_OUT="$KHA_VM_SHARE/ipvs-throughput.json" KHA_BENCH_OUT_DIR="$KHA_VM_SHARE" && node bench/dist/ipvs-throughput.js && node bench/dist/care-footprint.js && node bench/dist/side-by-side.js'
if [ -e /proc/net/ip_vs ]; then
  KHA_VM_SHARE=$share unshare --net --mount bash -c "$inner"
else
  bash test/vm/run.sh --timeout 5400 --keep-share "$share" -- bash -c "$inner"
fi
for f in ipvs-throughput care-footprint side-by-side; do
  [ -s "$share/$f.json" ] || { echo "bench: $f wrote no results; see the output above" >&2; exit 1; }
done
cp "$share"/*.json bench/out/
node bench/dist/results.js
