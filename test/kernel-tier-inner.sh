#!/usr/bin/env bash
# Inside a network namespace with IPVS (the VM, or unshare on a host with ip_vs): runs the given
# test files one at a time (they share the namespace's IPVS table), spec to the console, TAP to $1.
set -euo pipefail
tap=$1
shift
# "@share" names the VM's work share, whose path only the guest knows.
if [ "$tap" = "@share" ]; then tap=$KHA_VM_SHARE/kernel.tap; fi
ip link set lo up
export NO_COLOR=1
# KHA_TEST_NAME_PATTERN runs only the matching tests (hooks still run): for chasing one scenario.
filter=()
[ -z "${KHA_TEST_NAME_PATTERN:-}" ] || filter=(--test-name-pattern="$KHA_TEST_NAME_PATTERN")
exec node --test --test-concurrency=1 "${filter[@]}" \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tap" \
  "$@"
