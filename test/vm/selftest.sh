#!/usr/bin/env bash
# Checks that the VM offers what the kernel tests rely on. Run it inside:
#   bash test/vm/run.sh -- bash test/vm/selftest.sh
set -euo pipefail

[ "${KHA_IN_VM:-}" = 1 ] || { echo "selftest: run me through test/vm/run.sh" >&2; exit 2; }
fails=0
# The host may lack iputils-ping; busybox (installed by provision.sh) has one.
ping=(ping)
command -v ping >/dev/null || ping=(busybox ping)
check() { # description command...
	local t0=$SECONDS
	if "${@:2}" >/tmp/selftest.out 2>&1; then
		echo "ok   $1 ($((SECONDS - t0))s)"
	else
		echo "FAIL $1"
		sed 's/^/     /' /tmp/selftest.out
		fails=$((fails + 1))
	fi
}
not() { ! "$@"; }

check "ipvsadm rr + masq real server" sh -c 'ipvsadm -A -t 10.103.97.2:6443 -s rr &&
	ipvsadm -a -t 10.103.97.2:6443 -r 192.168.0.2:6443 -m && ipvsadm -Ln | grep -q "192.168.0.2:6443 *Masq"'
# Unknown scheduler: the kernel's module auto-load must fail at once (ENOENT,
# which ipvsadm reports as "Scheduler or persistence engine not found").
check "unknown scheduler fails fast" sh -c 'start=$(date +%s%N); ! ipvsadm -A -t 1.2.3.4:80 -s nosuch 2>/tmp/err &&
	grep -q "not found" /tmp/err && [ $(( ($(date +%s%N) - start) / 1000000 )) -lt 2000 ]'
for s in rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh; do
	check "scheduler $s" sh -c "ipvsadm -A -t 1.2.3.5:80 -s $s && ipvsadm -D -t 1.2.3.5:80"
done
check "ipvs sysctl" sysctl -w net.ipv4.vs.expire_nodest_conn=1
check "ipvs conntrack sysctl" sysctl -w net.ipv4.vs.conntrack=1
check "dummy link" ip link add d0 type dummy
check "netns" sh -c 'ip netns add a && ip netns exec a ip link show lo'
check "veth + bridge, ping across netns" sh -c '
	ip netns add b && ip netns add c &&
	ip link add br0 type bridge && ip link set br0 up &&
	for n in b c; do
		ip link add v$n type veth peer name eth0 netns $n && ip link set v$n master br0 up &&
		ip -n $n link set eth0 up && ip -n $n link set lo up || exit 1
	done &&
	ip -n b addr add 10.9.0.1/24 dev eth0 && ip -n c addr add 10.9.0.2/24 dev eth0 &&
	ip netns exec b '"${ping[*]}"' -c1 -W5 10.9.0.2'
check "netem qdisc" tc qdisc add dev d0 root netem delay 10ms
check "nft masquerade" sh -c 'nft add table ip t &&
	nft "add chain ip t post { type nat hook postrouting priority 100; }" && nft add rule ip t post masquerade'
check "nft inet table with ct" sh -c 'nft add table inet f &&
	nft "add chain inet f in { type filter hook input priority 0; }" && nft add rule inet f in ct state established accept'
check "work share writable" sh -c 'echo ok >"$KHA_VM_SHARE/selftest" && [ "$(cat "$KHA_VM_SHARE/selftest")" = ok ]'
check "host root read-only" not touch /selftest-ro
check "tmpfs /tmp /run /dev/shm" sh -c 'touch /tmp/x /run/x /dev/shm/x'
check "node" node -e 'require("os"); process.exit(0)'
if [ "$fails" -gt 0 ]; then
	echo "selftest: $fails check(s) failed"
	exit 1
fi
echo "selftest: all checks passed"
