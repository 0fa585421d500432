#!/usr/bin/env bash
# Route mode with a large routing table: whole-table dump vs single-address lookups, per round.
# rtnetlink only (no IPVS): runs bench/route-lookup.ts in a throw-away network namespace of this
# host when it can make dummy links there, else inside the kernel-tier VM; after `npm run build`.
# Results: bench/out/route-lookup.json.
# Usage: npm run build && bash bench/route-lookup.sh   (KHA_BENCH_ROUTES=100000 by default)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash test/provision-tools.sh
mkdir -p bench/out
share=$(mktemp -d)
trap 'rm -rf "$share"' EXIT
inner="ip link set lo up && KHA_BENCH_OUT_DIR=\"\$KHA_VM_SHARE\" KHA_BENCH_ROUTES=${KHA_BENCH_ROUTES:-100000} node bench/dist/route-lookup.js"
if unshare --net ip link add probe0 type dummy 2>/dev/null; then
  KHA_VM_SHARE=$share unshare --net --mount bash -c "$inner"
else
  bash test/vm/run.sh --timeout 3600 --keep-share "$share" -- bash -c "$inner"
fi
[ -s "$share/route-lookup.json" ] || { echo "bench: route-lookup wrote no results" >&2; exit 1; }
cp "$share/route-lookup.json" bench/out/
