#!/usr/bin/env bash
# Runs a command as root in a throw-away qemu VM booting Debian's kernel (which
# has IPVS), on the host's root filesystem shared read-only over 9p. Exits with
# the command's exit code, or 125 if the VM gave none. See README.md.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

usage() {
	cat <<'EOF'
usage: test/vm/run.sh [options] -- command [args...]
  --timeout SECONDS   kill the VM after this long (default 2400)
  --memory MB         guest memory (default 4096)
  --cpus N            guest CPUs (default 2)
  --keep-share DIR    use DIR as the work share (KHA_VM_SHARE inside) and keep it
env: KHA_VM_ACCEL=auto|kvm|tcg  auto (default): KVM if it can boot the kernel
                                (probed once per host boot), else TCG
     KHA_VM_DEBUG=1             show kernel messages and boot stage times
Inside: root, cwd as here, HOME=/tmp, KHA_IN_VM=1, KHA_VM_SHARE (read-write
share), host root read-only, tmpfs on /tmp /run /dev/shm. Exit code: the
command's, or 125 if the VM gave none (boot failure, crash, timeout).
EOF
}

timeout_s=2400 mem=4096 cpus=2 keep=""
while [ $# -gt 0 ]; do
	case $1 in
	--timeout | --memory | --cpus | --keep-share)
		[ $# -ge 2 ] || { usage >&2; exit 2; }
		case $1 in
		--timeout) timeout_s=$2 ;;
		--memory) mem=$2 ;;
		--cpus) cpus=$2 ;;
		--keep-share) keep=$2 ;;
		esac
		shift 2
		;;
	--) shift; break ;;
	-h | --help) usage; exit 0 ;;
	*) usage >&2; exit 2 ;;
	esac
done
[ $# -gt 0 ] || { usage >&2; exit 2; }
for n in "$timeout_s" "$mem" "$cpus"; do
	[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "run.sh: not a positive integer: $n" >&2; exit 2; }
done

# stdin may be closed on CI; nothing here or in qemu reads it.
bash "$here/provision.sh" </dev/null
kdir="$repo/.cache/kernel/current"
kernel="$kdir/vmlinux" # uncompressed (PVH) if provision.sh could make one
[ -e "$kernel" ] || kernel="$kdir/vmlinuz"

# Per-run temp dirs carry run.sh's pid; those of runs that were SIGKILLed
# (their pid is gone) are removed here.
tmp=${TMPDIR:-/tmp}
for d in "$tmp"/kha-vm-ctl.* "$tmp"/kha-vm-share.*; do
	pid=${d##*/}
	pid=${pid#kha-vm-*.}
	pid=${pid%%.*}
	[[ -d $d && $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && rm -rf "$d"
done
# Control share (command script, exit code): invisible to the command.
ctl=$(mktemp -d "$tmp/kha-vm-ctl.$$.XXXXXX")
if [ -n "$keep" ]; then
	mkdir -p "$keep"
	work=$(cd "$keep" && pwd)
else
	work=$(mktemp -d "$tmp/kha-vm-share.$$.XXXXXX")
fi
qpid=""
cleanup() {
	if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then
		kill -TERM "$qpid" 2>/dev/null || true
		wait "$qpid" 2>/dev/null || true
	fi
	rm -rf "$ctl"
	[ -n "$keep" ] || rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# PATH: the caller's existing entries first (same paths inside, via the host
# root), then the standard ones.
guest_path=""
IFS=: read -ra entries <<<"${PATH:-}"
for d in "${entries[@]}" /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
	[ -n "$d" ] && [ -d "$d" ] || continue
	case ":$guest_path:" in *":$d:"*) continue ;; esac
	guest_path=${guest_path:+$guest_path:}$d
done

# /tmp, /run and /dev/shm are fresh tmpfs inside; a caller working below one of them (a CI
# clone in /tmp, say) gets its top directory there shown read-only from the host root.
: >"$ctl/host-dirs"
case $PWD in
/dev/shm/?*) rest=${PWD#/dev/shm/} && echo "/dev/shm/${rest%%/*}" >"$ctl/host-dirs" ;;
/tmp/?* | /run/?*)
	base=${PWD#/} && base=${base%%/*}
	rest=${PWD#/"$base"/} && echo "/$base/${rest%%/*}" >"$ctl/host-dirs"
	;;
esac

# The command travels as a script (printf %q), so any argument survives.
{
	printf 'export PATH=%q HOME=/tmp\n' "$guest_path"
	[ -z "${CI+set}" ] || printf 'export CI=%q\n' "$CI"
	for v in $(compgen -e); do
		case $v in KHA_*) printf 'export %s=%q\n' "$v" "${!v}" ;; esac
	done
	echo 'export KHA_IN_VM=1 KHA_VM_SHARE=/run/kha-vm/share'
	# podman's configuration for a read-only root and no systemd (see containers.conf).
	printf 'sed "s|@VM_DIR@|%s|" %q >/run/kha-vm/containers.conf\n' "$here" "$here/containers.conf"
	printf 'export CONTAINERS_CONF=/run/kha-vm/containers.conf CONTAINERS_STORAGE_CONF=%q\n' "$here/storage.conf"
	printf 'cd %q 2>/dev/null || { echo "kha-vm: no such directory inside the VM: "%q >&2; exit 125; }\n' "$PWD" "$PWD"
	printf 'exec'
	printf ' %q' "$@"
	printf '\n'
} >"$ctl/cmd.sh"

# KVM needs more than an openable /dev/kvm: on this project's CI-like machines
# /dev/kvm is PVM (kvm_pvm), which only runs PVM-enabled guest kernels, and a
# Debian kernel just hangs. So boot the kernel once with rdinit=poweroff and
# use KVM only if that comes back; the answer is cached per host boot.
kvm_works() {
	local f="$repo/.cache/kernel/kvm-probe" key ok=no
	key="$(cat /proc/sys/kernel/random/boot_id 2>/dev/null || true) $(readlink "$kdir")"
	if [ -f "$f" ] && [ "$(head -n1 "$f")" = "$key" ]; then
		[ "$(sed -n 2p "$f")" = yes ]
		return
	fi
	(exec 3<>/dev/kvm) 2>/dev/null || return 1
	[ ! -d /sys/module/kvm_pvm ] || return 1 # known not to work, skip the probe
	# (subshell: keeps bash's "Aborted" job notice out when qemu dies on a signal)
	if (timeout -k 2 10 qemu-system-x86_64 -machine q35 -nodefaults -no-user-config -display none -no-reboot \
		-accel kvm -cpu host -m 256 -kernel "$kernel" -initrd "$kdir/initrd.gz" \
		-append "quiet panic=-1 rdinit=/bin/poweroff -- -f" </dev/null >/dev/null 2>&1
		exit $?) 2>/dev/null; then
		ok=yes
	else
		echo "run.sh: /dev/kvm cannot boot the test kernel here, using TCG (slower)" >&2
	fi
	printf '%s\n%s\n' "$key" "$ok" >"$f"
	[ "$ok" = yes ]
}

case ${KHA_VM_ACCEL:-auto} in
auto) if kvm_works; then accel=kvm; else accel=tcg; fi ;;
kvm | tcg) accel=$KHA_VM_ACCEL ;;
*) echo "run.sh: KHA_VM_ACCEL must be auto, kvm or tcg" >&2; exit 2 ;;
esac
if [ "$accel" = kvm ]; then
	accel=(-accel kvm -cpu host)
else
	accel=(-accel tcg -cpu max) # multi-threaded TCG: one host thread per vCPU
fi

# Kernel messages stay off the console unless debugging (panics still show).
kargs="quiet loglevel=1"
[ -z "${KHA_VM_DEBUG:-}" ] || kargs="kha.debug"

share() { echo "local,path=$1,mount_tag=$2,security_model=none,multidevs=remap$3"; }
qemu=(
	# q35: probing the virtio devices takes ~1 s less than on "pc" under TCG
	qemu-system-x86_64 -machine q35 -nodefaults -no-user-config -display none -no-reboot
	"${accel[@]}" -m "$mem" -smp "$cpus"
	-kernel "$kernel" -initrd "$kdir/initrd.gz"
	-append "console=ttyS0 $kargs panic=-1 8250.nr_uarts=1 mitigations=off"
	-chardev stdio,id=con -serial chardev:con
	-virtfs "$(share / hostroot ,readonly=on)"
	-virtfs "$(share "$ctl" ctl "")"
	-virtfs "$(share "$work" work "")"
)

# If run.sh is SIGKILLed no trap runs: PR_SET_PDEATHSIG takes qemu down anyway.
pdeath=()
if setpriv --help 2>/dev/null | grep -q -- --pdeathsig; then pdeath=(setpriv --pdeathsig KILL --); fi
# Background + wait, so the signal traps run while qemu is up.
"${pdeath[@]}" timeout -k 10 "$timeout_s" "${pdeath[@]}" "${qemu[@]}" </dev/null &
qpid=$!
status=0
wait "$qpid" 2>/dev/null || status=$? # (2>/dev/null: bash's "Aborted" job notices)
qpid=""

rc=$(cat "$ctl/exit-code" 2>/dev/null || true)
if [[ $rc =~ ^[0-9]+$ ]]; then
	exit "$rc"
fi
if [ "$status" = 124 ]; then
	echo "run.sh: no exit status from the VM: timed out after ${timeout_s}s" >&2
else
	echo "run.sh: no exit status from the VM (boot failure or crash; qemu exited $status)" >&2
fi
exit 125
