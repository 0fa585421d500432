#!/usr/bin/env bash
# npm run smoke:arm64: the release's arm64 artifacts on a real arm64 kernel, emulated. Expects
# npm run release first (dist/release, or the directory given).
#  1. Debian's arm64 kernel under qemu-system-aarch64 (machine virt, TCG), booting an initramfs
#     that is a Debian arm64 root (mmdebstrap minbase with ipvsadm, iproute2, kmod, nftables) with
#     the IPVS modules and the arm64 release archive unpacked in /opt: guest-smoke.sh runs the
#     archive's kha and lvscare through the IPVS netlink round trip, ipvsadm the witness.
#  2. The two-platform image's linux/arm64 entry, started on this host under qemu-user
#     (binfmt_misc): buildah from --arch arm64 of the OCI archive, its entrypoint's node running
#     lvscare version and kha version. Not under podman in the VM: podman there needs an arm64
#     podman/runc/conmon set, cgroup v1 mounts and a load of the archive under TCG (test/vm shows
#     what the x86 VM needed), outside this smoke's time.
# Prints one line per check and "arm64 smoke: N passed, N failed"; exit 0 only when all passed.
# Records the result beside every artifact's size in bench/RESULTS.md (test/arm64/record.mjs).
# Usage: test/arm64/smoke.sh [RELEASE_DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
release=${1:-dist/release}
cache=.cache/arm64
mkdir -p "$cache"
log() { echo "arm64 smoke: $*" >&2; }
die() {
	log "error: $*"
	exit 1
}
archive=$(ls "$release"/kha-*-linux-arm64.tar.gz 2>/dev/null | head -n1)
image=$(ls "$release"/lvscare-image-*.oci.tar 2>/dev/null | head -n1)
[ -n "$archive" ] && [ -n "$image" ] || die "no arm64 archive or image in $release: run npm run release"

bash scripts/apt-install.sh qemu-system-arm qemu-user-static arch-test mmdebstrap cpio kmod buildah openssl
bash scripts/binfmt.sh arm64

sources=$(bash scripts/debian-sources.sh bookworm)
t0=$SECONDS
# The root, made once (its maintainer scripts run under qemu-user) and kept.
if [ ! -d "$cache/rootfs" ]; then
	log "making the arm64 root (mmdebstrap)"
	rm -rf "$cache/rootfs.tmp"
	mmdebstrap --variant=minbase --format=directory --architectures=arm64 \
		--include=ipvsadm,iproute2,kmod,nftables \
		--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
		--aptopt='APT::Install-Recommends "false"' \
		--dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
		--dpkgopt='path-exclude=/usr/share/doc/*' \
		bookworm "$cache/rootfs.tmp" "$sources" >"$cache/mmdebstrap.log" 2>&1 ||
		die "mmdebstrap failed: $(tail -n 20 "$cache/mmdebstrap.log")"
	mv "$cache/rootfs.tmp" "$cache/rootfs"
fi
# Debian's arm64 kernel, unpacked only (no maintainer scripts, no initramfs of Debian's).
if [ ! -d "$cache/kernel" ]; then
	log "fetching Debian's arm64 kernel"
	rm -rf "$cache/kernel.tmp"
	mmdebstrap --variant=extract --format=directory --architectures=arm64 --include=linux-image-arm64 \
		bookworm "$cache/kernel.tmp" "$sources" >"$cache/kernel.log" 2>&1 ||
		die "fetching the kernel failed: $(tail -n 20 "$cache/kernel.log")"
	mv "$cache/kernel.tmp" "$cache/kernel"
fi
vmlinuz=$(ls "$cache"/kernel/boot/vmlinuz-* | head -n1)
kver=${vmlinuz##*/vmlinuz-}
modbase=$root/$cache/kernel
[ -d "$modbase/lib/modules/$kver" ] || modbase=$root/$cache/kernel/usr
[ -f "$modbase/lib/modules/$kver/modules.dep.bin" ] || depmod -b "$modbase" "$kver"
log "kernel $kver; root and kernel ready in $((SECONDS - t0)) s"

# The initramfs: the root, the modules the round trip loads (with what they depend on), the
# archive in /opt, a CA certificate for kha join's --ca-file, and guest-smoke.sh as /init.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tree=$work/tree
mkdir -p "$tree"
cp -a "$cache/rootfs/." "$tree/"
rm -rf "$tree"/usr/lib/modules "$tree"/lib/modules 2>/dev/null || true
for m in ip_vs ip_vs_rr dummy nf_tables nft_chain_nat nft_masq; do
	modprobe -C /dev/null -d "$modbase" -S "$kver" --show-depends "$m" | while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		rel=${path#"$modbase"/}
		mkdir -p "$tree/usr/$(dirname "${rel#usr/}")"
		cp "$path" "$tree/usr/${rel#usr/}"
	done
done
mkdir -p "$tree/usr/lib/modules/$kver"
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ ! -e "$modbase/lib/modules/$kver/$f" ] || cp "$modbase/lib/modules/$kver/$f" "$tree/usr/lib/modules/$kver/"
done
depmod -b "$tree/usr" "$kver"
tar -xzf "$archive" -C "$tree/opt"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=smoke-ca \
	-keyout "$work/ca.key" -out "$tree/opt/ca.crt" 2>/dev/null
install -m 0755 test/arm64/guest-smoke.sh "$tree/init"
(cd "$tree" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet | gzip -1) >"$work/initrd.gz"
log "initramfs $(du -m "$work/initrd.gz" | cut -f1) MiB; booting (TCG)"

t1=$SECONDS
timeout -k 10 "${KHA_ARM64_TIMEOUT:-1800}" qemu-system-aarch64 -machine virt -cpu max -smp 2 -m 3072 \
	-nographic -no-reboot -kernel "$vmlinuz" -initrd "$work/initrd.gz" \
	-append "console=ttyAMA0 panic=-1 quiet rdinit=/init" </dev/null >"$cache/vm.log" 2>&1 || true
vm_s=$((SECONDS - t1))
summary=$work/summary.txt
{
	echo "VM: Debian $kver arm64 under qemu-system-aarch64 (virt, -cpu max, TCG), $(basename "$archive")"
	grep -a '^SMOKE' "$cache/vm.log" | tr -d '\r' || true
} >"$summary"
# The checks' output too on the terminal; only the verdicts in the record.
grep -a -E '^(SMOKE|  \|)' "$cache/vm.log" | tr -d '\r' >&2 || true
vm_line=$(grep -a '^SMOKE: ' "$cache/vm.log" | tr -d '\r' | tail -n1)
[ -n "$vm_line" ] || log "the VM gave no result (see $cache/vm.log)"
vm_pass=$(echo "$vm_line" | sed -n 's/^SMOKE: \([0-9]*\) passed.*/\1/p')
vm_fail=$(echo "$vm_line" | sed -n 's/.* \([0-9]*\) failed$/\1/p')
log "VM: ${vm_line:-no result} in $vm_s s (boot and all)"

# The image's arm64 entry under qemu-user on this host.
pass=${vm_pass:-0} fail=${vm_fail:-1}
img_check() { # name command...
	local out name=$1
	shift
	if out=$("$@" 2>&1); then
		pass=$((pass + 1))
		echo "SMOKE ok image: $name" | tee -a "$summary" >&2
	else
		fail=$((fail + 1))
		echo "SMOKE FAIL image: $name: $out" | tee -a "$summary" >&2
	fi
}
t2=$SECONDS
c=$(buildah from --quiet --arch arm64 "oci-archive:$image")
trap 'buildah rm "$c" >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
arch=$(buildah inspect --format '{{.OCIv1.Architecture}}' "$c")
img_check "config says arm64 ($arch)" test "$arch" = arm64
# The entrypoint's program and script, as the pod runs them.
img_check "lvscare version (entrypoint, aarch64 node)" sh -c "buildah run --isolation chroot '$c' -- sh -c 'uname -m; node /opt/kha/lvscare.mjs version' | tee /dev/stderr | grep -q 'linux/arm64'"
img_check "kha version in the image" sh -c "buildah run --isolation chroot '$c' -- kha version | tee /dev/stderr | grep -q 'linux/arm64'"
log "image under qemu-user: $((SECONDS - t2)) s"
{
	echo "VM run (boot included): $vm_s s; the image under qemu-user on the host: $((SECONDS - t2)) s"
	echo "arm64 smoke: $pass passed, $fail failed"
} | tee -a "$summary"
node test/arm64/record.mjs "$release" "$summary"
[ "$fail" = 0 ] && [ -n "$vm_line" ]
