#!/usr/bin/env bash
# Every test: the unit tier (anywhere, seconds), then the kernel tier (real IPVS kernel).
# Expects a build (npm test builds first). Ends with one summary line per tier and a total.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mkdir -p .cache
unit_tap=.cache/unit.tap
kernel_tap=.cache/kernel-tier.tap
rm -f "$unit_tap" "$kernel_tap"

count() { sed -n "s/^# $1 \([0-9]*\)\$/\1/p" "$2" 2>/dev/null | tail -1; }

# Compiled test files, listed from their sources so that a deleted test's stale output never runs.
unit_files=$(
  for src in packages/*/test/*.test.ts; do echo "${src%%/test/*}/dist/test/$(basename "${src%.ts}").js"; done
  for src in test/loopback/*.test.ts; do echo "test/dist/loopback/$(basename "${src%.ts}").js"; done
)

echo "== unit tier"
# promtool checks the alert rules here; when it cannot be provisioned those tests fail, not skip.
bash test/provision-tools.sh
# shellcheck disable=SC2086
node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$unit_tap" \
  $unit_files
unit_status=$?

# The pod scenarios of the kernel tier run the image: built here when missing or stale. Debian
# moving a pinned package on is reported, not fatal, here: the tests are about our code (npm run
# release is strict).
echo "== image"
KHA_IMAGE_PINS=warn bash scripts/image.sh --if-stale
image_status=$?
# The release archive the kernel tier runs kha from with no Node on PATH (release-archive.test).
echo "== release archive (amd64)"
bash scripts/release.sh --no-image --arch amd64 --out dist/release-test
[ $? -eq 0 ] || image_status=1

echo "== kernel tier"
KHA_KERNEL_TAP="$root/$kernel_tap" bash test/kernel-tier.sh
kernel_status=$?

up=$(count pass "$unit_tap"); uf=$(count fail "$unit_tap")
kp=$(count pass "$kernel_tap"); kf=$(count fail "$kernel_tap")
echo "unit: ${up:-0} passed, ${uf:-0} failed"
echo "kernel: ${kp:-0} passed, ${kf:-0} failed"
if [ -z "$kp" ] || [ "$kp" -eq 0 ]; then
  echo "the kernel tier did not run: failing" >&2
  kernel_status=1
fi
echo "$(( ${up:-0} + ${kp:-0} )) passed, $(( ${uf:-0} + ${kf:-0} )) failed"
[ "$image_status" -eq 0 ] || echo "image: npm run image or the release archive failed" >&2
[ "$unit_status" -eq 0 ] && [ "$image_status" -eq 0 ] && [ "$kernel_status" -eq 0 ]
