#!/bin/sh
# PID 1 of the arm64 smoke VM (test/arm64/smoke.sh): Debian's arm64 kernel on an initramfs that is
# a Debian arm64 root with the release archive in /opt. The IPVS netlink round trip with the
# archive's kha and lvscare, ipvsadm the witness; one "SMOKE ok|FAIL" line per check and a
# closing "SMOKE: N passed, N failed". Exiting ends the VM (panic=-1, qemu -no-reboot).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/tmp
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
exec </dev/null >/dev/console 2>&1
pass=0 failed=0
ok() { pass=$((pass + 1)); echo "SMOKE ok $1"; }
bad() { failed=$((failed + 1)); echo "SMOKE FAIL $1"; }
check() { # name command...: passes when the command exits 0
	name=$1
	shift
	t0=$(cut -d' ' -f1 /proc/uptime)
	if out=$("$@" 2>&1); then ok "$name ($(awk -v a="$t0" '{ printf "%.1f s", $1 - a }' /proc/uptime))"; else bad "$name: $out"; fi
	printf '%s\n' "$out" | sed 's/^/  | /'
}
for m in ip_vs ip_vs_rr dummy nf_tables nft_chain_nat nft_masq; do modprobe "$m" || echo "modprobe $m failed"; done
ip link set lo up
ip link add w0 type dummy && ip addr add 192.0.2.1/24 dev w0 && ip link set w0 up
ip route add default via 192.0.2.254

d=$(echo /opt/kha-*-linux-arm64)
vip=10.103.97.2:6443

check "machine is aarch64" sh -c '[ "$(uname -m)" = aarch64 ]'
check "no node on PATH" sh -c '! command -v node'
check "kha version says linux/arm64" sh -c "'$d/kha' version | grep 'linux/arm64'"
check "lvscare version says linux/arm64" sh -c "'$d/lvscare' version | grep 'linux/arm64'"

# lvscare: create the virtual server with two destinations, list, compare, delete.
check "lvscare care --run-once creates the virtual server" \
	"$d/lvscare" care --vs 10.103.97.3:6443 --rs 192.0.2.11:6443 --rs 192.0.2.12:6443 --run-once --metrics-address ''
check "lvscare ipvs list equals ipvsadm -Ln" sh -c "
	a=\$(ipvsadm -Ln -t 10.103.97.3:6443 | sed -n 's/^ *-> \([0-9.]*:[0-9]*\) .*/\1/p' | sort | tr '\n' ' ')
	b=\$('$d/lvscare' ipvs list | sed -n '/10.103.97.3:6443/,/^[A-Z]/p' | sed -n 's/^ *-> \([0-9.]*:[0-9]*\) .*/\1/p' | sort | tr '\n' ' ')
	echo \"ipvsadm: \$a\"; echo \"lvscare: \$b\"
	[ \"\$a\" = '192.0.2.11:6443 192.0.2.12:6443 ' ] && [ \"\$a\" = \"\$b\" ]"
check "lvscare care --clean deletes it" sh -c "'$d/lvscare' care --vs 10.103.97.3:6443 --rs 192.0.2.11:6443 --clean --metrics-address '' && ! ipvsadm -Ln -t 10.103.97.3:6443"

# kha: join writes the rules (no kubeadm, no discovery: no cluster here), reset takes them away.
mkdir -p /tmp/node/manifests && printf '127.0.0.1\tlocalhost\n' >/tmp/node/hosts
flags="--hosts-file /tmp/node/hosts --manifest-dir /tmp/node/manifests --modules-load-dir /tmp/node/modules-load.d --sysctl-dir /tmp/node/sysctl.d --state-dir /tmp/node/state"
check "kha join --skip-kubeadm" sh -c "'$d/kha' join --master 192.0.2.11 --master 192.0.2.12 $flags --ca-file /opt/ca.crt --image localhost/kha/lvscare:0.1.0 --skip-kubeadm --no-discover"
check "the joined virtual server: ipvsadm and lvscare ipvs list agree" sh -c "
	a=\$(ipvsadm -Ln -t $vip | sed -n 's/^ *-> \([0-9.]*:[0-9]*\) .*/\1/p' | sort | tr '\n' ' ')
	b=\$('$d/lvscare' ipvs list | sed -n '/$vip/,/^[A-Z]/p' | sed -n 's/^ *-> \([0-9.]*:[0-9]*\) .*/\1/p' | sort | tr '\n' ' ')
	echo \"ipvsadm: \$a\"; echo \"lvscare: \$b\"
	[ \"\$a\" = '192.0.2.11:6443 192.0.2.12:6443 ' ] && [ \"\$a\" = \"\$b\" ]"
check "kha reset" "$d/kha" reset $flags --wait 5
check "nothing left" sh -c "[ -z \"\$(ipvsadm -Sn)\" ] && ! grep -q apiserver /tmp/node/hosts && [ -z \"\$(ls /tmp/node/manifests)\" ]"

echo "SMOKE: $pass passed, $failed failed"
